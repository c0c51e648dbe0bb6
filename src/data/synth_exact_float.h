#pragma once
// Included first by every synthetic-data source file. Keeps every a*b+c as
// two roundings: with FMA contraction (-march=native, ARM) the pixels would
// differ between builds, and the synthetic data set is meant to be
// byte-identical on every machine that generates it. The pragmas apply to the
// rest of the including file.
#if defined(__clang__)
#pragma clang fp contract(off)
#elif defined(__GNUC__)
#pragma GCC optimize("fp-contract=off")
#endif
