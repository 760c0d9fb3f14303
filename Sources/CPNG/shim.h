// libpng, for decoding (and, in tests, encoding) PNG files of image-folder datasets.
#include <png.h>
