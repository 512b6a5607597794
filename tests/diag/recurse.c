/* Recursion for the profile (tests/diag/test_profile.py): fib calls itself, is_even and
 * is_odd call each other, countdown loops back to its own entry.  Built -O0 at test
 * time: every call is a jal, every return a ret, as a learner's C code compiles. */

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

volatile int out;

int main(void)
{
    /* fib(16) three times: 4791 calls of its base case, so that its block gets hot
     * enough to be compiled again (native tier) while the profile watches */
    for (int i = 0; i < 3; i++)
        out = fib(16);
    out = is_even(9);
    out = countdown(100);
    return 0;
}
