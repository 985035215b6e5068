/* Stand-in for vncgate-launcher.exe and vncgate-viewer.exe in the MSI test
 * (test-msi.sh), built with mingw-w64. It writes to the file named by
 * ARGV_LOG a first line from the DLL below, then its arguments, argv[0]
 * first, one per line: the argv that Windows' command line parsing gave
 * the program that a link started.
 * The program imports standin_tag() from libvncgate-standin-1.dll (built
 * from this file with -DSTANDIN_DLL): it starts only if the staging script
 * found that DLL and the MSI installed it beside the program. */
#ifdef STANDIN_DLL
__declspec(dllexport) const char *standin_tag(void) { return "vncgate-standin"; }
#else
#include <stdio.h>
#include <stdlib.h>

__declspec(dllimport) const char *standin_tag(void);

int main(int argc, char **argv) {
  const char *path = getenv("ARGV_LOG");
  FILE *out = path ? fopen(path, "w") : NULL;
  if (!out) return 3;
  fprintf(out, "%s\n", standin_tag());
  for (int i = 0; i < argc; ++i) fprintf(out, "%s\n", argv[i]);
  return fclose(out) == 0 ? 0 : 3;
}
#endif
