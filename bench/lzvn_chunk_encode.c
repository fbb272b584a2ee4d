// lzvn_chunk_encode IN OUT [CHUNK]: writes IN as an LZFSE stream of LZVN (bvxn) blocks, one per
// CHUNK bytes (default 65536, the decmpfs chunk size), each coded by the reference LZVN encoder,
// then bvx$. A chunk the encoder cannot shrink is stored as bvx-, as the reference's own
// `lzfse -encode` does. The reference CLI only writes bvxn for whole inputs under 4 KiB; this gives
// a large LZVN input that both `lzfse -decode` and upscope read.
// Bench-only: bench/bench_lzfse.sh compiles it against the reference's liblzfse.a (never vendored).
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

// From the reference library (lzvn_encode_base.c).
size_t lzvn_encode_scratch_size(void);
size_t lzvn_encode_buffer(void *dst, size_t dst_size, const void *src, size_t src_size, void *work);

static void put_u32(uint8_t *p, uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = (uint8_t)(v >> (8 * i));
}

int main(int argc, char **argv) {
  if (argc < 3 || argc > 4) {
    fprintf(stderr, "usage: %s IN OUT [CHUNK]\n", argv[0]);
    return 2;
  }
  const size_t chunk = argc == 4 ? (size_t)strtoul(argv[3], NULL, 0) : 65536;
  if (chunk == 0 || chunk > (1u << 24)) return fprintf(stderr, "bad chunk size\n"), 2;
  FILE *in = fopen(argv[1], "rb"), *out = fopen(argv[2], "wb");
  if (!in || !out) return perror("open"), 2;
  uint8_t *src = malloc(chunk), *dst = malloc(2 * chunk + 64), *work = malloc(lzvn_encode_scratch_size());
  if (!src || !dst || !work) return perror("malloc"), 2;
  size_t n;
  uint8_t header[12];
  while ((n = fread(src, 1, chunk, in)) > 0) {
    size_t z = lzvn_encode_buffer(dst, 2 * chunk + 64, src, n, work);
    if (z == 0 || z >= n) {
      memcpy(header, "bvx-", 4);
      put_u32(header + 4, (uint32_t)n);
      fwrite(header, 1, 8, out);
      fwrite(src, 1, n, out);
    } else {
      memcpy(header, "bvxn", 4);
      put_u32(header + 4, (uint32_t)n);
      put_u32(header + 8, (uint32_t)z);
      fwrite(header, 1, 12, out);
      fwrite(dst, 1, z, out);
    }
  }
  fwrite("bvx$", 1, 4, out);
  if (fclose(out) != 0) return perror(argv[2]), 2;
  fclose(in);
  free(src);
  free(dst);
  free(work);
  return 0;
}
