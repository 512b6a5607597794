/* rvirt's test init for Linux (linux/README.md): a static PID 1 built against the
 * kernel tree's tools/include/nolibc, so nothing but the kernel's own headers is needed.
 *
 * It reports what the boot test checks, one "init: ..." line each:
 *   - the CPUs online, from /sys/devices/system/cpu/online;
 *   - the disk /dev/vda: its first sector must start with "rvirt-disk"; the init then
 *     writes "written-by-linux" over sector 0 and fsync()s, so the test finds it in
 *     the image file after poweroff;
 *   - then a prompt: each typed line is echoed back as "got: LINE", and "poweroff"
 *     powers the machine off through the SBI (reboot(2)).
 */
/* Linux 6.1's nolibc names syscalls rv32 does not have (rv32 has only their 64-bit-time
 * and llseek forms). This init calls none of them; defining the numbers as an invalid
 * syscall lets nolibc compile, and a call would fail with ENOSYS. */
#define __NR_gettimeofday 0x7fff
#define __NR_lseek 0x7fff
#define __NR_wait4 0x7fff
#define __NR_poll 0x7fff
#define __NR_select 0x7fff
#define __NR_stat 0x7fff
#define __NR_time 0x7fff
#include "nolibc.h"

static void say(const char *s)
{
	write(1, s, strlen(s));
}

static void say_fail(const char *what)
{
	say("init: FAIL ");
	say(what);
	say("\n");
}

/* The file's first line, without its newline, into buf. */
static int read_line(const char *path, char *buf, int size)
{
	int fd = open(path, O_RDONLY, 0);
	int n;

	if (fd < 0)
		return -1;
	n = read(fd, buf, size - 1);
	close(fd);
	if (n < 0)
		return -1;
	buf[n] = 0;
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		buf[--n] = 0;
	return n;
}

static void check_disk(void)
{
	static char sector[512];
	static const char marker[] = "rvirt-disk";
	static const char stamp[] = "written-by-linux\n";
	int fd = open("/dev/vda", O_RDWR, 0);

	if (fd < 0) {
		say_fail("open /dev/vda");
		return;
	}
	if (read(fd, sector, sizeof(sector)) != sizeof(sector) ||
	    memcmp(sector, marker, sizeof(marker) - 1) != 0) {
		say_fail("the first sector of /dev/vda");
		close(fd);
		return;
	}
	sector[63] = 0;
	say("init: disk read: ");
	say(sector);
	memset(sector, 0, sizeof(sector));
	memcpy(sector, stamp, sizeof(stamp) - 1);
	/* Opened again to write at offset 0: rv32 has only _llseek, which nolibc 6.1
	 * does not wrap. The page cache holds the write until fsync, which sends it
	 * and then a FLUSH. */
	close(fd);
	fd = open("/dev/vda", O_RDWR, 0);
	if (fd < 0 || write(fd, sector, sizeof(sector)) != sizeof(sector) ||
	    fsync(fd) != 0) {
		say_fail("writing sector 0 of /dev/vda");
		close(fd);
		return;
	}
	close(fd);
	say("init: disk written and flushed\n");
}

int main(void)
{
	char line[128];
	char cpus[32];
	int fd;

	mkdir("/dev", 0755);
	mount("devtmpfs", "/dev", "devtmpfs", 0, "");
	mkdir("/sys", 0755);
	mount("sysfs", "/sys", "sysfs", 0, "");
	fd = open("/dev/console", O_RDWR, 0);
	if (fd >= 0) {
		dup2(fd, 0);
		dup2(fd, 1);
		dup2(fd, 2);
	}
	say("init: hello from rvirt's test init\n");
	if (read_line("/sys/devices/system/cpu/online", cpus, sizeof(cpus)) > 0) {
		say("init: cpus online ");
		say(cpus);
		say("\n");
	} else {
		say_fail("reading the online CPUs");
	}
	check_disk();
	for (;;) {
		int n = 0;

		say("init> ");
		for (;;) {
			char c;

			if (read(0, &c, 1) != 1)
				break;
			if (c == '\r' || c == '\n')
				break;
			if (n < (int)sizeof(line) - 1)
				line[n++] = c;
		}
		line[n] = 0;
		say("got: ");
		say(line);
		say("\n");
		if (!strcmp(line, "poweroff")) {
			say("init: powering off\n");
			reboot(LINUX_REBOOT_CMD_POWER_OFF);
		}
	}
}
