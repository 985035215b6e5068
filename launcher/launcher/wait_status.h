// How the viewer ended, from the status ViewerProcess::exited carries: on
// Unix as waitpid() reports it; on Windows ViewerProcess encodes the exit
// code the same way (code << 8) and there are no signals.
#pragma once

#ifndef _WIN32
#include <sys/wait.h>

#include <cstring>
#endif

namespace vncgate::launcher {

#ifdef _WIN32
inline bool viewer_exited(int status) {
  return (status & 0xff) == 0;
}
inline int viewer_exit_code(int status) {
  return (status >> 8) & 0xff;
}
inline bool viewer_signaled(int) {
  return false;
}
inline int viewer_signal(int) {
  return 0;
}
inline const char *viewer_signal_name(int) {
  return "";
}
#else
inline bool viewer_exited(int status) {
  return WIFEXITED(status);
}
inline int viewer_exit_code(int status) {
  return WEXITSTATUS(status);
}
inline bool viewer_signaled(int status) {
  return WIFSIGNALED(status);
}
inline int viewer_signal(int status) {
  return WTERMSIG(status);
}
inline const char *viewer_signal_name(int sig) {
  return strsignal(sig);
}
#endif

}  // namespace vncgate::launcher
