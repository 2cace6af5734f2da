/* gpsd-pty-shim: LD_PRELOAD library for the timed-vs-gpsd benchmark (tests/bench/compare.sh).
 *
 * Why: gpsd 3.22 classifies a device whose major number is 136-143 (Unix98 pty slaves) as its
 * own test harness (serial.c, gpsd_classify: SOURCE_PTY) and then never attaches NTP shared
 * memory for it (ntpshm.c, ntpshm_link_activate skips SOURCE_PTY), so on the benchmark's pty
 * it would send chrony nothing. This makes stat() of such a device report major 4, minor 64
 * (ttyS0), so gpsd treats the pty as the UART it stands in for. Nothing else is changed: the
 * file descriptor gpsd reads is still the pty, and every other stat() is passed through.
 *
 * gpsd on Debian 12 calls stat@GLIBC_2.33 (nm -D /usr/sbin/gpsd); older glibc routed stat()
 * through __xstat, which is covered too so the shim also works there.
 *
 * Built at run time by compare.sh: gcc -shared -fPIC -O2 -o gpsd-pty-shim.so gpsd-pty-shim.c -ldl
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

static void as_uart(struct stat *sb)
{
    if (S_ISCHR(sb->st_mode) && major(sb->st_rdev) >= 136 && major(sb->st_rdev) <= 143)
        sb->st_rdev = makedev(4, 64);
}

int stat(const char *path, struct stat *sb)
{
    static int (*real)(const char *, struct stat *);
    if (!real)
        real = (int (*)(const char *, struct stat *))dlsym(RTLD_NEXT, "stat");
    if (!real)
        return -1;
    int rc = real(path, sb);
    if (rc == 0)
        as_uart(sb);
    return rc;
}

int __xstat(int ver, const char *path, struct stat *sb)
{
    static int (*real)(int, const char *, struct stat *);
    if (!real)
        real = (int (*)(int, const char *, struct stat *))dlsym(RTLD_NEXT, "__xstat");
    if (!real)
        return -1;
    int rc = real(ver, path, sb);
    if (rc == 0)
        as_uart(sb);
    return rc;
}
