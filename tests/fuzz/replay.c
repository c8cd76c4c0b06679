/* replay.c: a main() for fuzz targets built without libFuzzer. Runs
 * LLVMFuzzerTestOneInput over every file named, or in every directory named,
 * on the command line; fails if none was found. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"

static int run_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf;
	long n;

	if (!f) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		return -1;
	}
	if (fseek(f, 0, SEEK_END) < 0 || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) < 0) {
		fclose(f);
		return -1;
	}
	/* A private copy of exactly n bytes, so ASan catches reads past the input. */
	buf = malloc(n ? (size_t)n : 1);
	if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n) {
		fprintf(stderr, "%s: short read\n", path);
		free(buf);
		fclose(f);
		return -1;
	}
	fclose(f);
	LLVMFuzzerTestOneInput(buf, (size_t)n);
	free(buf);
	return 0;
}

static int cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(int argc, char **argv)
{
	unsigned files = 0, bad = 0;

	for (int i = 1; i < argc; i++) {
		struct stat sb;
		if (stat(argv[i], &sb) < 0) {
			fprintf(stderr, "%s: %s\n", argv[i], strerror(errno));
			return 1;
		}
		if (!S_ISDIR(sb.st_mode)) {
			bad += run_file(argv[i]) < 0;
			files++;
			continue;
		}
		/* Directory entries in name order, so a failure reproduces in the same order. */
		struct dirent **ents;
		int n = scandir(argv[i], &ents, NULL, NULL);
		if (n < 0) {
			fprintf(stderr, "%s: %s\n", argv[i], strerror(errno));
			return 1;
		}
		char **names = calloc((size_t)n + 1, sizeof(*names));
		int k = 0;
		for (int j = 0; j < n; j++) {
			if (ents[j]->d_name[0] != '.' && names &&
			    asprintf(&names[k], "%s/%s", argv[i], ents[j]->d_name) >= 0)
				k++;
			free(ents[j]);
		}
		free(ents);
		if (names) {
			qsort(names, (size_t)k, sizeof(*names), cmp);
			for (int j = 0; j < k; j++) {
				bad += run_file(names[j]) < 0;
				files++;
				free(names[j]);
			}
			free(names);
		}
	}
	printf("%u inputs replayed, %u unreadable\n", files, bad);
	return files == 0 || bad ? 1 : 0;
}
