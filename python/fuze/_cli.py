"""The `fuze` command of a pip-installed fuze: runs the CLI binary in fuze/bin."""

import os
import sys


def main():
    binary = os.path.join(os.path.dirname(os.path.abspath(__file__)), "bin", "fuze")
    if not os.path.isfile(binary):
        sys.exit("fuze: the fuze command is not part of this install (%s is missing)" % binary)
    os.execv(binary, [binary] + sys.argv[1:])


if __name__ == "__main__":
    main()
