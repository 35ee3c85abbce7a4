// glibc's malloc tuning (mallopt), used by QDTensor to keep large tensor buffers on the heap.
#include <malloc.h>
