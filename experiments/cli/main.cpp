#include <cstdio>
int main() { std::puts("wq: CLI under construction"); return 1; }
