# Prints one line and ends well.
print("hello")
