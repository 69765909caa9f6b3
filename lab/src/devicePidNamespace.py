#!/usr/bin/env python3
"""The lab device's own PID namespace (issue 17), stdlib only.

  devicePidNamespace.py init READY_FILE
      PID 1 of the device's PID namespace, started by the lab as
      `ip netns exec <device> unshare --pid --fork --mount-proc --kill-child devicePidNamespace.py init FILE`:
      writes FILE once it runs (/proc is then the namespace's), reaps every orphan, and on SIGTERM, SIGINT or SIGHUP
      sends SIGTERM to every other process of the namespace, waits up to 3 s for them, then exits. When it exits or is
      killed, the kernel kills whatever is left in the namespace.
  devicePidNamespace.py enter INIT_PID COMMAND [ARG...]
      Runs COMMAND in the network, PID and mount namespaces of host process INIT_PID (the init above), as
      `nsenter --net --pid --mount` does, but stays its parent on the host side: forwards SIGTERM, SIGINT, SIGHUP,
      SIGUSR1 and SIGUSR2 to it, exits with its status, and COMMAND is killed if this process dies (PR_SET_PDEATHSIG),
      so the lab stops a device process by signalling the process it spawned.
"""
import ctypes
import os
import signal
import sys
import time

STOP_SIGNALS = {signal.SIGTERM, signal.SIGINT, signal.SIGHUP}
GRACE_SECONDS = 3.0


def others():
    return [int(name) for name in os.listdir('/proc') if name.isdigit() and int(name) != 1]


def reap():
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def init(ready_file):
    # Blocked signals are queued even for a namespace's PID 1 (which drops unhandled ones); handlers as well, in case.
    for signum in STOP_SIGNALS:
        signal.signal(signum, lambda *_: None)
    signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS | {signal.SIGCHLD})
    with open(ready_file, 'w') as ready:
        ready.write('ready\n')
    deadline = None
    while True:
        reap()
        if deadline is not None and (not others() or time.monotonic() > deadline):
            return
        info = signal.sigtimedwait(STOP_SIGNALS | {signal.SIGCHLD}, 0.05 if deadline else 5.0)
        if info is not None and info.si_signo in STOP_SIGNALS and deadline is None:
            deadline = time.monotonic() + GRACE_SECONDS
            for pid in others():
                try:
                    os.kill(pid, signal.SIGTERM)
                except ProcessLookupError:
                    pass


def enter(init_pid, command):
    libc = ctypes.CDLL(None, use_errno=True)
    # Opened first: once in the mount namespace, /proc is the device's and the init's host PID means nothing there.
    descriptors = [(kind, os.open(f'/proc/{init_pid}/ns/{kind}', os.O_RDONLY)) for kind in ('net', 'pid', 'mnt')]
    cwd = os.getcwd()
    for kind, descriptor in descriptors:
        if libc.setns(descriptor, 0) != 0:
            error = ctypes.get_errno()
            sys.exit(f'devicePidNamespace: setns {kind} of {init_pid}: {os.strerror(error)}')
        os.close(descriptor)
    try:
        os.chdir(cwd)  # entering a mount namespace moves the working directory to its root
    except OSError:
        pass
    child = os.fork()
    if child == 0:
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG: the command dies with this process
        try:
            os.execvp(command[0], command)
        except OSError as error:
            sys.stderr.write(f'devicePidNamespace: cannot run {command[0]}: {error}\n')
            os._exit(127)
    for signum in STOP_SIGNALS | {signal.SIGUSR1, signal.SIGUSR2}:
        signal.signal(signum, lambda signum, _: os.kill(child, signum))
    _, status = os.waitpid(child, 0)
    if os.WIFSIGNALED(status):
        signal.signal(os.WTERMSIG(status), signal.SIG_DFL)
        os.kill(os.getpid(), os.WTERMSIG(status))
    sys.exit(os.waitstatus_to_exitcode(status))


if __name__ == '__main__':
    if len(sys.argv) == 3 and sys.argv[1] == 'init':
        init(sys.argv[2])
    elif len(sys.argv) >= 4 and sys.argv[1] == 'enter' and sys.argv[2].isdigit():
        enter(int(sys.argv[2]), sys.argv[3:])
    else:
        sys.exit('usage: devicePidNamespace.py init READY_FILE | enter INIT_PID COMMAND [ARG...]')
