// The entry point of the release bundle's one binary (Tools/dist.sh): `retort` and `retort-bench`
// are linked into a single executable, so the static Swift runtime, Foundation and ICU's data are in
// the bundle once, and `retort-bench` is a symbolic link to it. It runs the program it is called as.
// SwiftPM compiles each executable's main.swift into `<module>_main` (as it does for the tests that
// link an executable target).
#include <string.h>

int retort_main(int argc, char **argv);
int retort_bench_main(int argc, char **argv);

int main(int argc, char **argv) {
    const char *path = argc > 0 ? argv[0] : "";
    const char *slash = strrchr(path, '/');
    const char *name = slash ? slash + 1 : path;
    return strcmp(name, "retort-bench") == 0 ? retort_bench_main(argc, argv) : retort_main(argc, argv);
}
