/* An S-mode kernel that asks its SBI firmware everything a kernel asks at boot and
 * prints one line per question, `<key> <values...>` in hex, then shuts down through SRST.
 * Built at 0x80400000, where QEMU puts a kernel after its rv32 firmware. */

typedef unsigned int u32;
typedef unsigned long long u64;

struct sbiret { long error; long value; };

static struct sbiret ecall(long ext, long fid, long a0, long a1, long a2)
{
	register long r0 asm("a0") = a0, r1 asm("a1") = a1, r2 asm("a2") = a2;
	register long r6 asm("a6") = fid, r7 asm("a7") = ext;
	asm volatile("ecall" : "+r"(r0), "+r"(r1) : "r"(r2), "r"(r6), "r"(r7) : "memory");
	return (struct sbiret){r0, r1};
}

static void putc(char c) { ecall(0x01, 0, c, 0, 0); }  /* legacy console_putchar */
static void puts(const char *s) { while (*s) putc(*s++); }
static void hex(u32 v)
{
	putc(' ');
	for (int i = 28; i >= 0; i -= 4) putc("0123456789abcdef"[(v >> i) & 15]);
}
static void line(const char *key, int n, u32 a, u32 b, u32 c)
{
	puts(key);
	if (n > 0) hex(a);
	if (n > 1) hex(b);
	if (n > 2) hex(c);
	putc('\n');
}

static u32 be(const void *p)
{
	const unsigned char *b = p;
	return (u32)b[0] << 24 | b[1] << 16 | b[2] << 8 | b[3];
}
static int streq(const char *a, const char *b) { while (*a && *a == *b) a++, b++; return *a == *b; }

/* /chosen's bootargs (any bootargs property: the tree has one) */
static const char *bootargs(const unsigned char *fdt)
{
	if (be(fdt) != 0xd00dfeed) return 0;
	const unsigned char *p = fdt + be(fdt + 8), *strings = (const unsigned char *)fdt + be(fdt + 12);
	for (;;) {
		u32 tok = be(p); p += 4;
		if (tok == 1) { while (*p) p++; p = (const unsigned char *)(((u32)p + 4) & ~3u); }
		else if (tok == 3) {
			u32 len = be(p), name = be(p + 4); p += 8;
			if (streq((const char *)strings + name, "bootargs")) return (const char *)p;
			p = (const unsigned char *)(((u32)p + len + 3) & ~3u);
		}
		else if (tok == 2 || tok == 4) continue;
		else return 0;
	}
}

static u32 csr_time(void) { u32 v; asm volatile("rdtime %0" : "=r"(v)); return v; }
static u32 csr_timeh(void) { u32 v; asm volatile("rdtimeh %0" : "=r"(v)); return v; }

volatile u32 ticks, cause;
extern void trap_entry(void);

void trap(void)
{
	u32 c; asm volatile("csrr %0, scause" : "=r"(c));
	cause = c;
	ecall(0x54494D45, 0, -1, -1, 0);  /* set_timer(far away): clears STIP */
	ticks++;
}

static const char msg[] = "dbcn-write ok\n";

void main(u32 hartid, u32 dtb, u32 pc)
{
	line("boot", 3, hartid, dtb, pc);
	const char *args = bootargs((const unsigned char *)dtb);
	puts("bootargs "); puts(args ? args : "(none)"); putc('\n');
	struct sbiret r;
	for (int fid = 0; fid <= 6; fid++) {
		r = ecall(0x10, fid, 0, 0, 0);
		puts("base"); hex(fid); hex(r.error); hex(r.value); putc('\n');
	}
	static const u32 exts[] = {0x10, 0x54494D45, 0x735049, 0x52464E43, 0x48534D,
		0x53525354, 0x4442434E, 0x01, 0x08, 0x12345678};
	for (unsigned i = 0; i < sizeof exts / sizeof exts[0]; i++) {
		r = ecall(0x10, 3, exts[i], 0, 0);
		puts("probe"); hex(exts[i]); hex(r.error); hex(r.value != 0); putc('\n');
	}
	r = ecall(0x4442434E, 0, sizeof msg - 1, (long)msg, 0);
	line("dbcn-write", 2, r.error, r.value, 0);
	r = ecall(0x4442434E, 2, '!', 0, 0);
	putc('\n');
	line("dbcn-byte", 2, r.error, r.value, 0);
	r = ecall(0x4442434E, 0, 4, 0x80000000, 0);  /* the firmware's own memory */
	line("dbcn-firmware", 1, r.error, 0, 0);
	r = ecall(0x4442434E, 0, 4, 0x80000000, 1);  /* above 4 GiB */
	line("dbcn-high", 1, r.error, 0, 0);
	r = ecall(0x4442434E, 1, 0, (long)&ticks, 0);
	line("dbcn-read0", 2, r.error, r.value, 0);
	puts("putchar\n");
	r = ecall(0x48534D, 2, 0, 0, 0);
	line("hsm-status0", 2, r.error, r.value, 0);
	r = ecall(0x48534D, 2, 1, 0, 0);
	line("hsm-status1", 1, r.error, 0, 0);
	r = ecall(0x48534D, 0, 0, 0x80400000, 0);
	line("hsm-start0", 1, r.error, 0, 0);
	r = ecall(0x48534D, 0, 7, 0x80400000, 0);
	line("hsm-start7", 1, r.error, 0, 0);
	r = ecall(0x12345678, 0, 0, 0, 0);
	line("unknown-ext", 1, r.error, 0, 0);
	r = ecall(0x10, 99, 0, 0, 0);
	line("unknown-fid", 1, r.error, 0, 0);
	r = ecall(0x735049, 0, 1, 0, 0);  /* IPI to itself: SSIP */
	u32 sip; asm volatile("csrr %0, sip" : "=r"(sip));
	line("ipi-self", 2, r.error, sip & 2, 0);
	asm volatile("csrc sip, %0" :: "r"(2));
	r = ecall(0x735049, 0, 1, 5, 0);  /* hart 5 does not exist */
	line("ipi-bad", 1, r.error, 0, 0);
	r = ecall(0x52464E43, 1, 1, 0, 0);  /* remote sfence.vma on itself */
	line("rfence", 1, r.error, 0, 0);
	r = ecall(0x53525354, 0, 7, 0, 0);  /* reserved reset type */
	line("srst-bad", 1, r.error, 0, 0);

	asm volatile("csrw stvec, %0" :: "r"(trap_entry));
	asm volatile("csrs sie, %0" :: "r"(1 << 5));
	asm volatile("csrs sstatus, %0" :: "r"(1 << 1));
	u64 now = (u64)csr_timeh() << 32 | csr_time();
	r = ecall(0x54494D45, 0, (u32)(now + 10000), (u32)((now + 10000) >> 32), 0);
	while (!ticks) asm volatile("wfi");
	asm volatile("csrr %0, sip" : "=r"(sip));
	line("timer", 4, r.error, cause, sip & (1 << 5));
	r = ecall(0x00, 0, (u32)(now + 20000), (u32)((now + 20000) >> 32), 0);  /* legacy */
	while (ticks < 2) asm volatile("wfi");
	line("legacy-timer", 2, r.error, cause, 0);
	ecall(0x53525354, 0, 0, 0, 0);  /* shutdown */
	puts("still running after SRST shutdown\n");
	for (;;) asm volatile("wfi");
}
