/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * strobe: a 1 Hz pulse source for the QEMU PPS test. Runs inside the guest, as root.
 *
 * QEMU's emulated PC parallel port (hw/char/parallel.c) raises its interrupt (IRQ 7) when the
 * control register's STROBE bit goes from set to clear while INIT and SELECT are set and the
 * interrupt-enable bit (INTEN) was set. The kernel's pps_parport client timestamps that
 * interrupt as an assert edge on /dev/ppsN (Documentation/driver-api/pps.rst), so writing the
 * control register from user space once per second gives the guest a real kernel PPS source.
 *
 * Usage: strobe [PULSES]   (default: forever). Pulses fall on whole seconds of CLOCK_MONOTONIC,
 * using absolute sleeps so the period does not drift with scheduling delays.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/io.h>
#include <time.h>

#define LPT_BASE 0x378
#define LPT_CTR (LPT_BASE + 2)
#define CTR_STROBE 0x01
#define CTR_INIT 0x04
#define CTR_SELECT 0x08
#define CTR_INTEN 0x10

int main(int argc, char **argv)
{
	long pulses = argc > 1 ? atol(argv[1]) : -1;
	struct timespec next;

	/* Direct port access: the data, status and control registers. */
	if (ioperm(LPT_BASE, 3, 1) != 0) {
		perror("strobe: ioperm(0x378)");
		return 1;
	}
	if (clock_gettime(CLOCK_MONOTONIC, &next) != 0) {
		perror("strobe: clock_gettime");
		return 1;
	}
	next.tv_sec += 1;
	next.tv_nsec = 0;
	for (long i = 0; pulses < 0 || i < pulses; i++) {
		while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL) != 0)
			; /* EINTR: sleep again until the same instant */
		outb(CTR_INIT | CTR_SELECT | CTR_INTEN | CTR_STROBE, LPT_CTR);
		outb(CTR_INIT | CTR_SELECT | CTR_INTEN, LPT_CTR); /* falling STROBE: IRQ */
		next.tv_sec += 1;
	}
	return 0;
}
