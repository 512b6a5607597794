/* A small C kernel whose values the built-in debugger prints as gdb prints C: structs
   with a char * name, nested arrays of structs, enums (plain and flags), a union,
   bitfields, function pointers, char arrays, globals and locals.  It ends by writing
   the sifive_test finisher, so QEMU and rvirt exit alike. */

typedef unsigned int u32;

struct point {
    int x;
    int y;
    const char *name;
};

struct segment {
    struct point ends[2];
    unsigned char width;
};

enum color { RED, GREEN = 2, BLUE };

enum perm { PERM_R = 1, PERM_W = 2, PERM_X = 4 };

enum state { IDLE, RUNNING };

union word {
    u32 u;
    short h[2];
    unsigned char b[4];
};

struct bits {
    unsigned int ready : 1;
    unsigned int mode : 3;
    int delta : 4;
    unsigned int rest : 24;
};

typedef int (*handler_t)(int);

struct tagged {
    int kind;
    union {
        int i;
        char c;
    };
    struct {
        short lo, hi;
    } range;
};

struct task {
    char name[16];
    int pid;
    enum color color;
    enum perm perm;
    struct bits flags;
    union word word;
    handler_t handler;
    struct task *next;
    _Bool alive;
    signed char nice;
    long long ticks;
};

/* gcc calls these for struct copies even when freestanding */
void *memcpy(void *dst, const void *src, unsigned long n)
{
    unsigned char *d = dst;
    const unsigned char *s = src;
    while (n--)
        *d++ = *s++;
    return dst;
}

void *memset(void *dst, int c, unsigned long n)
{
    unsigned char *d = dst;
    while (n--)
        *d++ = (unsigned char)c;
    return dst;
}

int twice(int v) { return 2 * v; }
int square(int v) { return v * v; }

struct point origin = {0, 0, "origin"};
struct point corners[3] = {{1, 2, "a"}, {3, 4, "bc"}, {-5, 6, 0}};
struct segment grid[2][2] = {
    {{{{1, 1, "p"}, {2, 2, "q"}}, 1}, {{{3, 3, "r"}, {4, 4, "s"}}, 2}},
    {{{{5, 5, "t"}, {6, 6, "u"}}, 3}, {{{7, 7, "v"}, {8, 8, "w"}}, 4}},
};
int zeros[12];
int counts[5] = {1, 2, 3, 4, 5};
char banner[16] = "abc";
const char *message = "hello\n\tworld";
enum color paint = BLUE;
enum color odd_color = (enum color)7;
enum perm rw = PERM_R | PERM_W;
enum perm strange = (enum perm)(PERM_X | 8);
union word magic = {0x41424344u};
struct bits bf = {1, 5, -3, 0x123456};
handler_t handlers[2] = {twice, square};
int (*plain_fp)(int) = square;
struct task idle = {"idle", 0, RED, PERM_R, {0, 0, 0, 0}, {0}, 0, 0, 1, -1, 0};
struct task *current;
volatile int sink;
int big[300];
unsigned char letter = 'a';
_Bool ready_flag = 1;
int ten[11] = {5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 1};
int eleven[12] = {5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 1};
char long_text[300];
char alphabet[260];
const char *long_ptr = long_text;
const char *words[3] = {"one", "two", 0};
const char **word_list = words;
char (*banner_ptr)[16] = &banner;
enum state run_state = (enum state)3;
struct tagged tagged = {1, {.i = 97}, {-2, 300}};
float ratio = 0.1f;
double precise = 0.1;
unsigned char escapes[8] = {'"', '\\', '\'', 7, 27, 127, 1, 0};

typedef struct {
    int id;
    unsigned short flags;
} anon_t;

typedef unsigned char uint8;

anon_t anon = {9, 0xbeef};
anon_t anons[2] = {{1, 2}, {3, 4}};
anon_t *anon_ptr = &anon;
uint8 buf[6] = {'o', 'k', 0xff, 0, 0, 0};
char names[3][8] = {"one", "two", "three"};
const struct point fixed = {10, 20, "fixed"};
struct point *none;

struct opaque;  /* defined in opaque.c */
extern struct opaque the_opaque;
struct opaque *op = &the_opaque;
struct nowhere;  /* defined nowhere */
struct nowhere *lost = (struct nowhere *)&anon;

struct msg {
    int len;
    char data[];
};
int msg_words[3] = {2, 0x6968, 0};
struct msg *msgp = (struct msg *)msg_words;

struct pair {
    int a;
    short b;
};

struct pair make_pair(int a) { struct pair r = {a, (short)(a + 1)}; return r; }
struct point make_point(int x) { struct point r = {x, x + 1, "made"}; return r; }
const char *name_of(enum color c) { return c == BLUE ? "blue" : "other"; }
enum perm perms(int bits) { return (enum perm)bits; }
char first(const char *s) { return s[0]; }
struct task *task_of(int which) { return which ? current : &idle; }
long long wide(int v) { return (long long)v << 33; }

volatile struct pair got_pair;
volatile struct point got_point;

static int inspect(struct task *t, const struct point *p, int n, const char *label)
{
    int total = 0;
    struct point local = *p;
    enum color c = t->color;
    union word w = t->word;
    int arr[3] = {n, n + 1, n + 2};
    char tag[8] = "tg";
    handler_t h = t->handler;
    for (int i = 0; i < n; i++)
        total += corners[i].x;
    total += h(local.y) + (int)c + w.b[0] + arr[1] + tag[0] + label[0];
    return total;
}

void kmain(void)
{
    struct task worker = {"worker", 7, GREEN, PERM_R | PERM_X, {1, 2, -1, 77},
                          {0x01020304u}, twice, &idle, 1, 3, 123456789012LL};
    current = &worker;
    for (int i = 0; i < 300; i++)
        big[i] = i < 150 ? 7 : i;
    for (int i = 0; i < 250; i++)
        long_text[i] = 'x';
    for (int i = 0; i < 259; i++)
        alphabet[i] = (char)('a' + i % 26);
    sink = inspect(&worker, &corners[1], 2, "lbl");
    sink += plain_fp(3);
    got_pair = make_pair(4);
    got_point = make_point(5);
    sink += msgp->len + (op != 0) + (lost != 0);
    sink += anon_ptr->id + buf[0] + names[0][0] + fixed.x + (none == 0);
    sink += name_of(paint)[0] + perms(6) + first("q") + task_of(1)->pid + (int)wide(1);
    *(volatile u32 *)0x100000 = 0x5555;  /* sifive_test: pass, power off */
    for (;;)
        ;
}
