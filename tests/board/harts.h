/* Taking turns among the harts of a probe (tests/board/*-probe.S), built with -DHARTS=N:
 * tickets handed on with AMOs, and a barrier all HARTS harts must reach.  Clobber t0-t2. */

.macro WAIT_TURN ticket, value      /* until the ticket reads value (not t0 or t1) */
    la t0, \ticket
81: lw t1, 0(t0)
    bne t1, \value, 81b
.endm

.macro NEXT_TURN ticket
    la t0, \ticket
    li t1, 1
    amoadd.w.aqrl zero, t1, (t0)
.endm

.macro BARRIER counter
    la t0, \counter
    li t1, 1
    amoadd.w.aqrl zero, t1, (t0)
    li t2, HARTS
82: lw t1, 0(t0)
    blt t1, t2, 82b
.endm
