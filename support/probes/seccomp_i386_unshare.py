"""Can code reach the kernel through the i386 syscall ABI (int 0x80), where the x86_64
syscall numbers do not apply? Tries unshare(CLONE_NEWUSER) as i386 syscall 310, which an
unprivileged process may do when nothing filters it. Refused: an error, or the process
killed by SIGSYS (a filter that checks the ABI), in which case nothing is printed."""
import ctypes
import errno
import json
import mmap
import struct

I386_UNSHARE, CLONE_NEWUSER = 310, 0x10000000
# push rbx; mov eax, nr; mov ebx, arg; int 0x80; pop rbx; ret
code = (b"\x53\xb8" + struct.pack("<I", I386_UNSHARE) + b"\xbb" + struct.pack("<I", CLONE_NEWUSER)
        + b"\xcd\x80\x5b\xc3")
page = mmap.mmap(-1, mmap.PAGESIZE, prot=mmap.PROT_READ | mmap.PROT_WRITE | mmap.PROT_EXEC)
page.write(code)
call = ctypes.CFUNCTYPE(ctypes.c_int)(ctypes.addressof(ctypes.c_char.from_buffer(page)))
rc = call()
outcome = "succeeded" if rc == 0 else errno.errorcode.get(-rc, str(rc))
print(json.dumps({"probe": "seccomp_i386_unshare", "blocked": rc != 0, "detail": outcome}))
