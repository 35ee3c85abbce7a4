// zlib (zlib1g-dev), for reading gzipped MNIST and CIFAR-10 files.
#include <zlib.h>
