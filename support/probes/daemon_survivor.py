"""Leaves behind what a naive timeout misses: the main process ignores SIGTERM and sleeps,
and a double-forked daemon (new session, re-exec'd with {{marker}} on its command line so
the host can look for it) outlives its parent. Prints the daemon's pid, then "ready"."""
import os
import signal
import sys
import time

signal.signal(signal.SIGTERM, signal.SIG_IGN)
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        os.execv(sys.executable, [sys.executable, "-S", "-c",
                                  "import signal, time\n"
                                  "signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
                                  "time.sleep(300)", "{{marker}}"])
    os._exit(0)
os.wait()
print("ready", flush=True)
time.sleep(300)
