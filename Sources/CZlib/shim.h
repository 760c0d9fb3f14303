// zlib, for reading gzip-compressed dataset files (IDX .gz) without a subprocess.
#include <zlib.h>
