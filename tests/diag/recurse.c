/* Recursion for the profile (tests/diag/test_profile.py): fib and down call themselves,
 * is_even and is_odd call each other, countdown and calls_in_a_loop loop back to an
 * entry.  Built -O0 at test time: every call is a jal, every return a ret, as a
 * learner's C code compiles. */

__attribute__((naked, section(".text.init"))) void _start(void)
{
    __asm__ volatile("la sp, _end + 8192\n"
                     "call main\n"
                     "li t0, 0x5555\n" /* the SiFive test finisher: exit 0 */
                     "li t1, 0x100000\n"
                     "sw t0, 0(t1)\n"
                     "1: j 1b\n");
}

int fib(int n)
{
    if (n < 2)
        return n;
    return fib(n - 1) + fib(n - 2);
}

/* Its block from the entry runs on to the call of itself (the branch falls through to
 * it): the block ends there, no loop. */
int down(int n)
{
    int r = 0;
    if (n > 0)
        r = down(n - 1) + 1;
    return r;
}

int is_odd(int n);

int is_even(int n)
{
    if (n == 0)
        return 1;
    return is_odd(n - 1);
}

int is_odd(int n)
{
    if (n == 0)
        return 0;
    return is_even(n - 1);
}

/* Counts a0 down by jumping back to its own entry, ra untouched: a loop, not recursion
 * (what a tail call of itself compiles to). */
__attribute__((naked)) int countdown(int n)
{
    __asm__ volatile("beqz a0, 1f\n"
                     "addi a0, a0, -1\n"
                     "j countdown\n"
                     "1: ret\n");
}

/* Calls countdown n times in a loop whose head is a label of its own (assembly without
 * .size: `again` is a function for the profile, as gdb takes it for one), jumped back to
 * with ra after that call: a loop, not recursion. */
void calls_in_a_loop(int n);
__asm__(".text\n"
        ".globl calls_in_a_loop\n"
        "calls_in_a_loop:\n"
        "mv t5, ra\n"
        "mv t6, a0\n"
        "again:\n"
        "beqz t6, 1f\n"
        "li a0, 3\n"
        "call countdown\n"
        "addi t6, t6, -1\n"
        "j again\n"
        "1: mv ra, t5\n"
        "ret\n");

volatile int out;

int main(void)
{
    /* fib(16) three times: 4791 calls of its base case, so that its block gets hot
     * enough to be compiled again (native tier) while the profile watches */
    for (int i = 0; i < 3; i++)
        out = fib(16);
    out = is_even(9);
    out = down(30);
    out = countdown(100);
    calls_in_a_loop(20);
    return 0;
}
