/* The physical floor of a funnel run: decompress the inputs with zlib's gzread (large
   gzbuffer, plain and multi-member files alike) and count lines, nothing else. A file zlib
   cannot read to its end (damaged, cut short) stops it with status 1: a floor that counted
   only the readable part would make every ratio against it look better. */
#include <stdio.h>
#include <string.h>
#include <zlib.h>

int main(int argc, char **argv) {
    static char buffer[1 << 20];
    unsigned long long lines = 0, bytes = 0;
    for (int i = 1; i < argc; i++) {
        gzFile file = gzopen(argv[i], "rb");
        if (!file) { fprintf(stderr, "cannot open %s\n", argv[i]); return 1; }
        gzbuffer(file, 1 << 20);
        int count;
        while ((count = gzread(file, buffer, sizeof buffer)) > 0) {
            bytes += (unsigned long long)count;
            for (char *p = buffer, *end = buffer + count; (p = memchr(p, '\n', (size_t)(end - p))) != NULL; p++) lines++;
        }
        int status;
        const char *message = gzerror(file, &status);
        if (count < 0 || status != Z_OK) {
            fprintf(stderr, "floor: %s\n", message);  /* zlib names the file */
            return 1;
        }
        if (gzclose(file) != Z_OK) { fprintf(stderr, "floor: %s: unexpected end or damage\n", argv[i]); return 1; }
    }
    printf("%llu lines, %llu bytes\n", lines, bytes);
    return 0;
}
