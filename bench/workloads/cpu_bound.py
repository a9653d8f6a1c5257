# A fixed amount of pure-Python arithmetic (tens of milliseconds of CPU on a 2-core VM):
# the same work in the bare sandbox and through the platform, for throughput at a size of
# evaluation where the sandbox, not the platform around it, is what a run costs.
total = 0
for i in range(400_000):
    total += i * i % 7
print(total)
