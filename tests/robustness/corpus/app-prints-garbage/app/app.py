import os, sys
sys.stdout.buffer.write(os.urandom(4096))
sys.stdout.buffer.write(b'\x00\x1b[2J\xff')
