/*
 * chrony_abi.c: reads the records abi-probe printed (timed-core's encoders, as hex) into the C
 * structs chrony reads them with, laid out by this target's C compiler, and prints the fields.
 * tests/aarch64.sh builds it with each target's gcc (x86_64, aarch64, armhf), runs it under
 * qemu-user next to the probe for the same target and compares the fields with the sample the
 * probe encoded. A record of the wrong size or with a field at the wrong offset fails here exactly
 * as chronyd would reject or misread it.
 *
 * The structs are the interfaces as chrony 4.x declares them: `struct sock_sample` is what
 * refclock_sock.c receives on a refclock SOCK socket (a datagram of any other size is dropped),
 * and `struct shmTime` is the NTP shared-memory segment shared by ntpd, gpsd and chrony's
 * refclock_shm.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

struct sock_sample {
    struct timeval tv;
    double offset;
    int pulse;
    int leap;
    int _pad;
    int magic;
};

struct shmTime {
    int mode;
    volatile int count;
    time_t clockTimeStampSec;
    int clockTimeStampUSec;
    time_t receiveTimeStampSec;
    int receiveTimeStampUSec;
    int leap;
    int precision;
    int nsamples;
    volatile int valid;
    unsigned clockTimeStampNSec;
    unsigned receiveTimeStampNSec;
    int dummy[8];
};

/* Decodes "<tag> <hex>" into buf; returns the byte count, or -1. */
static long read_record(const char *tag, unsigned char *buf, size_t cap) {
    char line[1024], *hex;
    size_t n, i;
    if (!fgets(line, sizeof line, stdin))
        return -1;
    line[strcspn(line, "\n")] = 0;
    n = strlen(tag);
    if (strncmp(line, tag, n) != 0 || line[n] != ' ')
        return -1;
    hex = line + n + 1;
    if (strlen(hex) % 2 != 0 || strlen(hex) / 2 > cap)
        return -1;
    for (i = 0; i < strlen(hex) / 2; i++) {
        unsigned v;
        if (sscanf(hex + 2 * i, "%2x", &v) != 1)
            return -1;
        buf[i] = (unsigned char)v;
    }
    return (long)(strlen(hex) / 2);
}

int main(int argc, char **argv) {
    unsigned char buf[512];
    struct sock_sample s;
    struct shmTime m;
    long n;

    (void)argv;
    if (argc > 1) {
        /* Layout only: what this compiler makes of the structs (for targets timed does not encode). */
        printf("sizes sock_sample=%zu shmTime=%zu time_t=%zu\n", sizeof(struct sock_sample),
               sizeof(struct shmTime), sizeof(time_t));
        return 0;
    }
    n = read_record("sock", buf, sizeof buf);
    if (n != (long)sizeof s) {
        printf("sock: %ld bytes, but struct sock_sample is %zu here\n", n, sizeof s);
        return 1;
    }
    memcpy(&s, buf, sizeof s);
    printf("sock size=%zu tv=%lld.%06lld offset=%.9f pulse=%d leap=%d magic=%08x\n", sizeof s,
           (long long)s.tv.tv_sec, (long long)s.tv.tv_usec, s.offset, s.pulse, s.leap,
           (unsigned)s.magic);

    n = read_record("shm", buf, sizeof buf);
    if (n != (long)sizeof m) {
        printf("shm: %ld bytes, but struct shmTime is %zu here\n", n, sizeof m);
        return 1;
    }
    memcpy(&m, buf, sizeof m);
    printf("shm size=%zu mode=%d count=%d clock=%lld.%06d/%09u receive=%lld.%06d/%09u leap=%d "
           "precision=%d nsamples=%d valid=%d\n",
           sizeof m, m.mode, m.count, (long long)m.clockTimeStampSec, m.clockTimeStampUSec,
           m.clockTimeStampNSec, (long long)m.receiveTimeStampSec, m.receiveTimeStampUSec,
           m.receiveTimeStampNSec, m.leap, m.precision, m.nsamples, m.valid);
    return 0;
}
