// OpenBLAS's CBLAS interface (libopenblas-dev), for QDTensor's matrix products.
#include <cblas.h>
