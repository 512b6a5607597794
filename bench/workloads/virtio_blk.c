/* virtio-blk throughput (bench/board.py): a bare-metal driver for the first virtio-blk
 * device on the virt board's legacy virtio-mmio transports (QEMU 7.2's default,
 * force-legacy=true; virtio 1.1 4.2.4 and 2.6 for the split ring).  It reads the whole
 * disk, then writes the whole disk, in requests of CHUNK bytes: a header, CHUNK / 4096
 * page-sized data descriptors and a status byte, one request at a time, completion
 * polled on the used ring (interrupts suppressed with VRING_AVAIL_F_NO_INTERRUPT).
 *
 * On UART0, one line each:
 *     capacity=<sectors, hex>      the device is set up
 *     R                            the reads begin
 *     W                            the reads are done, the writes begin
 *     F                            the writes are done (a FLUSH follows, not timed)
 *     virtio-blk ok|FAILED bytes=<hex> readbad=<hex> status=<hex>
 * and the run ends at the SiFive test finisher (pass, or fail with code 1).  The host
 * times the phases by when the marker lines arrive.
 *
 * What it checks and writes: the bench fills sector s's first word with s ^ READ_TAG
 * before the run; readbad ORs every sector's (first word ^ s ^ READ_TAG), so it is 0
 * when every sector was read where it belongs.  Then sector s is written with first word
 * s ^ WRITE_TAG and words 1..127 = i * FILL_MUL (i the word's index), which the bench
 * compares with the image after the run. */

#include <stdint.h>

#define UART0 ((volatile uint8_t *)0x10000000)
#define FINISHER ((volatile uint32_t *)0x100000)
#define FINISHER_PASS 0x5555u
#define FINISHER_FAIL 0x3333u
#define VIRTIO0 0x10001000u
#define SLOTS 8
#define SLOT_SIZE 0x1000u

#define SECTOR 512u
#define PAGE 4096u
#ifndef CHUNK
#define CHUNK (64u * 1024u)       /* bytes per request */
#endif
#define SEGS (CHUNK / PAGE)       /* data descriptors per request */
#define NUM 32u                   /* queue size: SEGS + 2 descriptors fit */
#define READ_TAG 0x52454144u
#define WRITE_TAG 0x57524954u
#define FILL_MUL 0x9e3779b9u

/* legacy virtio-mmio registers (virtio 1.1 4.2.4) */
enum {
    MAGIC = 0x00, VERSION = 0x04, DEVICE_ID = 0x08, HOST_FEATURES = 0x10,
    HOST_FEATURES_SEL = 0x14, GUEST_FEATURES = 0x20, GUEST_FEATURES_SEL = 0x24,
    GUEST_PAGE_SIZE = 0x28, QUEUE_SEL = 0x30, QUEUE_NUM_MAX = 0x34, QUEUE_NUM = 0x38,
    QUEUE_ALIGN = 0x3c, QUEUE_PFN = 0x40, QUEUE_NOTIFY = 0x50, STATUS = 0x70,
    CONFIG = 0x100,
};
#define S_ACKNOWLEDGE 1u
#define S_DRIVER 2u
#define S_DRIVER_OK 4u
#define F_FLUSH (1u << 9)         /* without it, QEMU and rvirt write through */
#define T_IN 0u
#define T_OUT 1u
#define T_FLUSH 4u
#define D_NEXT 1u
#define D_WRITE 2u
#define AVAIL_F_NO_INTERRUPT 1u

struct desc {
    uint32_t addr, addr_hi, len;
    uint16_t flags, next;
};

struct req_header {
    uint32_t type, reserved, sector, sector_hi;
};

/* The legacy layout with QueueAlign 4096: descriptors, then the avail ring, then the
 * used ring on the next page. */
struct ring {
    struct desc desc[NUM];
    uint16_t avail_flags, avail_idx, avail_ring[NUM], used_event;
    uint8_t pad[PAGE - NUM * sizeof(struct desc) - (3 + NUM) * 2];
    volatile uint16_t used_flags, used_idx;
    struct { uint32_t id, len; } used_ring[NUM];
} __attribute__((aligned(4096)));

static struct ring ring;
static struct req_header header;
static volatile uint8_t status;
static uint32_t rbuf[CHUNK / 4] __attribute__((aligned(4096)));
static uint32_t wbuf[CHUNK / 4] __attribute__((aligned(4096)));
static uintptr_t base;
static uint16_t next_avail;

static uint32_t reg(uint32_t off) { return *(volatile uint32_t *)(base + off); }
static void set_reg(uint32_t off, uint32_t v) { *(volatile uint32_t *)(base + off) = v; }

static void putc(char c) { *UART0 = (uint8_t)c; }

static void puts(const char *s) {
    while (*s)
        putc(*s++);
}

static void puthex(uint32_t v) {
    for (int i = 28; i >= 0; i -= 4) {
        uint32_t d = (v >> i) & 15;
        putc((char)(d < 10 ? '0' + d : 'a' + d - 10));
    }
}

static void __attribute__((noreturn)) finish(uint32_t code) {
    *FINISHER = code;
    for (;;)
        ;
}

static void fail(const char *why) {
    puts("virtio-blk FAILED: ");
    puts(why);
    putc('\n');
    finish(FINISHER_FAIL | (1u << 16));
}

/* One request on descriptors 0 .. SEGS + 1, posted and waited for; its status byte. */
static uint32_t request(uint32_t type, uint32_t sector, uint32_t *buf, uint32_t segs) {
    header.type = type;
    header.sector = sector;
    status = 0xff;
    uint16_t data_flags = type == T_IN ? D_NEXT | D_WRITE : D_NEXT;
    for (uint32_t i = 0; i < segs; i++) {
        ring.desc[1 + i].addr = (uint32_t)(uintptr_t)buf + i * PAGE;
        ring.desc[1 + i].flags = data_flags;
    }
    ring.desc[segs].next = SEGS + 1;  /* the last data descriptor (or the header) */
    ring.avail_ring[next_avail % NUM] = 0;
    __asm__ volatile("fence rw, rw" ::: "memory");
    ring.avail_idx = ++next_avail;
    __asm__ volatile("fence rw, rw" ::: "memory");
    set_reg(QUEUE_NOTIFY, 0);
    while (ring.used_idx != next_avail)
        ;
    __asm__ volatile("fence rw, rw" ::: "memory");
    ring.desc[segs].next = (uint16_t)(segs + 1);
    return status;
}

int main(void) {
    for (uint32_t i = 0; i < SLOTS && !base; i++) {
        uintptr_t b = VIRTIO0 + i * SLOT_SIZE;
        if (*(volatile uint32_t *)(b + DEVICE_ID) == 2)
            base = b;
    }
    if (!base)
        fail("no virtio-blk device");
    if (reg(MAGIC) != 0x74726976 || reg(VERSION) != 1)
        fail("not a legacy virtio-mmio transport");

    set_reg(STATUS, 0);
    set_reg(STATUS, S_ACKNOWLEDGE | S_DRIVER);
    set_reg(HOST_FEATURES_SEL, 0);
    uint32_t features = reg(HOST_FEATURES) & F_FLUSH;
    set_reg(GUEST_FEATURES_SEL, 0);
    set_reg(GUEST_FEATURES, features);
    set_reg(QUEUE_SEL, 0);
    if (reg(QUEUE_NUM_MAX) < NUM)
        fail("queue too small");
    set_reg(QUEUE_NUM, NUM);
    set_reg(GUEST_PAGE_SIZE, PAGE);
    set_reg(QUEUE_ALIGN, PAGE);
    set_reg(QUEUE_PFN, (uint32_t)(uintptr_t)&ring / PAGE);
    set_reg(STATUS, S_ACKNOWLEDGE | S_DRIVER | S_DRIVER_OK);

    /* descriptor 0: the header; 1 .. SEGS: the pages; SEGS + 1: the status byte */
    ring.avail_flags = AVAIL_F_NO_INTERRUPT;
    ring.desc[0] = (struct desc){(uint32_t)(uintptr_t)&header, 0, sizeof header, D_NEXT, 1};
    for (uint32_t i = 1; i <= SEGS; i++)
        ring.desc[i] = (struct desc){0, 0, PAGE, D_NEXT, (uint16_t)(i + 1)};
    ring.desc[SEGS + 1] = (struct desc){(uint32_t)(uintptr_t)&status, 0, 1, D_WRITE, 0};

    uint32_t sectors = reg(CONFIG);
    if (reg(CONFIG + 4) || sectors % (CHUNK / SECTOR))
        fail("capacity is not a multiple of the request size (or is 2 TiB or more)");
    puts("capacity=");
    puthex(sectors);
    putc('\n');

    uint32_t bad = 0, st = 0;
    puts("R\n");
    for (uint32_t s = 0; s < sectors; s += CHUNK / SECTOR) {
        st |= request(T_IN, s, rbuf, SEGS);
        for (uint32_t k = 0; k < CHUNK / SECTOR; k++)
            bad |= rbuf[k * (SECTOR / 4)] ^ (s + k) ^ READ_TAG;
    }
    puts("W\n");
    for (uint32_t i = 0; i < CHUNK / 4; i++)
        wbuf[i] = (i % (SECTOR / 4)) * FILL_MUL;
    for (uint32_t s = 0; s < sectors; s += CHUNK / SECTOR) {
        for (uint32_t k = 0; k < CHUNK / SECTOR; k++)
            wbuf[k * (SECTOR / 4)] = (s + k) ^ WRITE_TAG;
        st |= request(T_OUT, s, wbuf, SEGS);
    }
    puts("F\n");
    if (features & F_FLUSH)
        st |= request(T_FLUSH, 0, wbuf, 0);

    puts(bad || st ? "virtio-blk FAILED" : "virtio-blk ok");
    puts(" bytes=");
    puthex(sectors * SECTOR);
    puts(" readbad=");
    puthex(bad);
    puts(" status=");
    puthex(st);
    putc('\n');
    finish(bad || st ? FINISHER_FAIL | (1u << 16) : FINISHER_PASS);
}

/* Hart 0 runs main on a stack of its own; any other hart (a0 = mhartid from the ROM)
 * parks in wfi with its interrupts off. */
__asm__(
    "    .section .text.init\n"
    "    .globl _start\n"
    "_start:\n"
    "    bnez a0, 2f\n"
    "    la sp, stack_top\n"
    "    call main\n"
    "2:  csrci mstatus, 8\n"
    "    csrw mie, zero\n"
    "3:  wfi\n"
    "    j 3b\n"
    "    .bss\n"
    "    .balign 16\n"
    "    .space 4096\n"
    "stack_top:\n"
    "    .text\n");
