/* test-spec.c: NIC spec parsing and the value parsers. */
#include <stdint.h>

#include "check.h"
#include "testnic.h"

static void test_parse(void)
{
	struct vh_spec s;
	struct vh_err err = {{0}};

	CHECK_EQ(vh_spec_parse("tap0,addr=192.0.2.2/24,mtu=1500,addr=10.0.0.1/8", &s, &err), 0);
	CHECK(!strcmp(s.name, "tap0"));
	CHECK_EQ(s.n, 3);
	CHECK(!strcmp(vh_spec_get(&s, "addr"), "192.0.2.2/24"));
	CHECK(!strcmp(vh_spec_get_nth(&s, "addr", 1), "10.0.0.1/8"));
	CHECK(vh_spec_get_nth(&s, "addr", 2) == NULL);
	CHECK(vh_spec_get(&s, "nothere") == NULL);
	/* mtu was never asked for: the error names it. */
	CHECK_EQ(vh_spec_check_unused(&s, &err), -EINVAL);
	CHECK(strstr(err.msg, "'mtu'") != NULL);
	CHECK(strstr(err.msg, "tap0,addr=") != NULL);
	CHECK(strchr(err.msg, '\n') == NULL);
	CHECK(!strcmp(vh_spec_get(&s, "mtu"), "1500"));
	CHECK_EQ(vh_spec_check_unused(&s, &err), 0);
	/* A name alone. */
	CHECK_EQ(vh_spec_parse("lo", &s, &err), 0);
	CHECK(!strcmp(s.name, "lo"));
	CHECK_EQ(s.n, 0);
	/* Empty values are values; commas in a row are skipped. */
	CHECK_EQ(vh_spec_parse("null0,,type=,x=1", &s, &err), 0);
	CHECK_EQ(s.n, 2);
	CHECK(!strcmp(vh_spec_get(&s, "type"), ""));
}

static void test_parse_errors(void)
{
	struct vh_spec s;
	struct vh_err err;
	char big[600], many[400];

	err.msg[0] = 0;
	CHECK_EQ(vh_spec_parse("", &s, &err), -EINVAL);
	CHECK(strstr(err.msg, "NIC name") != NULL);
	CHECK_EQ(vh_spec_parse("mtu=1500", &s, &err), -EINVAL);
	CHECK(strstr(err.msg, "NIC name") != NULL);
	CHECK_EQ(vh_spec_parse("tap0,mtu", &s, &err), -EINVAL);
	CHECK(strstr(err.msg, "'mtu' is not key=value") != NULL);
	CHECK_EQ(vh_spec_parse("tap0,=5", &s, &err), -EINVAL);
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = 0;
	CHECK_EQ(vh_spec_parse(big, &s, &err), -EINVAL);
	CHECK(strstr(err.msg, "too long") != NULL);
	strcpy(many, "tap0");
	for (int i = 0; i < VH_SPEC_MAX_KEYS + 1; i++)
		snprintf(many + strlen(many), sizeof(many) - strlen(many), ",k%d=v", i);
	CHECK_EQ(vh_spec_parse(many, &s, &err), -EINVAL);
	CHECK(strstr(err.msg, "too many keys") != NULL);
	CHECK_EQ(vh_spec_parse("tap0,a=1", &s, NULL), 0); /* err may be NULL */
	CHECK_EQ(vh_spec_parse("tap0,a", &s, NULL), -EINVAL);
}

static void test_values(void)
{
	uint32_t a = 0, ppm = 0;
	unsigned plen = 0;
	uint8_t mac[6];
	uint64_t v = 0;

	CHECK_EQ(vh_parse_cidr("192.0.2.2/24", &a, &plen), 0);
	CHECK_EQ(a, tn_addr("192.0.2.2"));
	CHECK_EQ(plen, 24);
	CHECK_EQ(vh_parse_cidr("0.0.0.0/0", &a, &plen), 0);
	CHECK_EQ(plen, 0);
	CHECK_EQ(vh_parse_cidr("10.0.0.1/32", &a, &plen), 0);
	CHECK_EQ(vh_parse_cidr("10.0.0.1/33", &a, &plen), -EINVAL);
	CHECK_EQ(vh_parse_cidr("10.0.0.1", &a, &plen), -EINVAL);
	CHECK_EQ(vh_parse_cidr("10.0.0/8", &a, &plen), -EINVAL);
	CHECK_EQ(vh_parse_cidr("10.0.0.1/", &a, &plen), -EINVAL);
	CHECK_EQ(vh_parse_cidr("10.0.0.1/-1", &a, &plen), -EINVAL);
	CHECK_EQ(vh_parse_cidr("10.0.0.256/8", &a, &plen), -EINVAL);
	CHECK_EQ(vh_parse_cidr("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/8", &a, &plen), -EINVAL);
	CHECK_EQ(vh_parse_addr("198.51.100.7", &a), 0);
	CHECK_EQ(vh_parse_addr("198.51.100", &a), -EINVAL);

	CHECK_EQ(vh_parse_mac("02:00:5e:10:00:01", mac), 0);
	CHECK_MEM(mac, ((uint8_t[6]){0x02, 0, 0x5e, 0x10, 0, 1}), 6);
	CHECK_EQ(vh_parse_mac("01:00:5e:00:00:01", mac), -EINVAL); /* multicast */
	CHECK_EQ(vh_parse_mac("02:00:5e:10:00", mac), -EINVAL);
	CHECK_EQ(vh_parse_mac("02:00:5e:10:00:01:02", mac), -EINVAL);
	CHECK_EQ(vh_parse_mac("02:00:5e:10:00:01x", mac), -EINVAL);
	CHECK_EQ(vh_parse_mac("02:00:5e:10:00:zz", mac), -EINVAL);
	CHECK_EQ(vh_parse_mac("-2:00:5e:10:00:01", mac), -EINVAL); /* %x takes a sign */
	CHECK_EQ(vh_parse_mac("+2:00:5e:10:00:01", mac), -EINVAL);
	CHECK_EQ(vh_parse_mac(" 02:00:5e:10:00:01", mac), -EINVAL);
	CHECK_EQ(vh_parse_mac("02: 0:5e:10:00:01", mac), -EINVAL);
	CHECK_EQ(vh_parse_mac("2:0:5e:10:0:1", mac), 0); /* one digit per byte is fine */
	CHECK_MEM(mac, ((uint8_t[6]){0x02, 0, 0x5e, 0x10, 0, 1}), 6);

	CHECK_EQ(vh_parse_percent("5%", &ppm), 0);
	CHECK_EQ(ppm, 50000);
	CHECK_EQ(vh_parse_percent("0.5%", &ppm), 0);
	CHECK_EQ(ppm, 5000);
	CHECK_EQ(vh_parse_percent("100", &ppm), 0);
	CHECK_EQ(ppm, 1000000);
	CHECK_EQ(vh_parse_percent("0", &ppm), 0);
	CHECK_EQ(ppm, 0);
	CHECK_EQ(vh_parse_percent("100.1", &ppm), -EINVAL);
	CHECK_EQ(vh_parse_percent(" 5", &ppm), -EINVAL);
	CHECK_EQ(vh_parse_percent("0x10", &ppm), -EINVAL);
	CHECK_EQ(vh_parse_percent("nan", &ppm), -EINVAL);
	CHECK_EQ(vh_parse_percent("", &ppm), -EINVAL);
	CHECK_EQ(vh_parse_percent("-1", &ppm), -EINVAL);
	CHECK_EQ(vh_parse_percent("", &ppm), -EINVAL);
	CHECK_EQ(vh_parse_percent("5%%", &ppm), -EINVAL);
	CHECK_EQ(vh_parse_percent("5 %", &ppm), -EINVAL);
	CHECK_EQ(vh_parse_percent("abc", &ppm), -EINVAL);
	CHECK_EQ(vh_parse_percent("nan", &ppm), -EINVAL);
	CHECK_EQ(vh_parse_percent("nan%", &ppm), -EINVAL);
	CHECK_EQ(vh_parse_percent("inf", &ppm), -EINVAL);

	CHECK_EQ(vh_parse_u64("0", 0, 10, &v), 0);
	CHECK_EQ(v, 0);
	CHECK_EQ(vh_parse_u64("10", 0, 10, &v), 0);
	CHECK_EQ(v, 10);
	CHECK_EQ(vh_parse_u64("11", 0, 10, &v), -EINVAL);
	CHECK_EQ(vh_parse_u64("67", 68, 65000, &v), -EINVAL);
	CHECK_EQ(vh_parse_u64("68", 68, 65000, &v), 0);
	CHECK_EQ(vh_parse_u64("18446744073709551615", 0, UINT64_MAX, &v), 0);
	CHECK(v == UINT64_MAX);
	CHECK_EQ(vh_parse_u64("18446744073709551616", 0, UINT64_MAX, &v), -EINVAL);
	CHECK_EQ(vh_parse_u64("", 0, 10, &v), -EINVAL);
	CHECK_EQ(vh_parse_u64("-1", 0, UINT64_MAX, &v), -EINVAL);
	CHECK_EQ(vh_parse_u64(" -1", 0, UINT64_MAX, &v), -EINVAL); /* strtoull would negate */
	CHECK_EQ(vh_parse_u64("+5", 0, 10, &v), -EINVAL);
	CHECK_EQ(vh_parse_u64("5x", 0, 10, &v), -EINVAL);
	CHECK_EQ(vh_parse_u64("0x5", 0, 10, &v), -EINVAL);
	v = 77;
	vh_parse_u64("bad", 0, 10, &v);
	CHECK_EQ(v, 77); /* not clobbered on failure */
}

int main(void)
{
	test_parse();
	test_parse_errors();
	test_values();
	return check_done();
}
