// libjpeg-turbo's TurboJPEG API, for decoding (and, in tests, encoding) JPEG files of image-folder datasets.
#include <turbojpeg.h>
