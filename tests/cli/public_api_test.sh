#!/bin/sh
# The `fuze` command is a client of the public API: its sources include only
# their own headers (cli/...), fuze's public headers (fuze/...) and system or
# torch headers, never a private header of src/ (frontend/, runtime/,
# backends/, passes/, support/).
root="$1"
bad=$(grep -n '#include "' "$root"/src/cli/*.cpp "$root"/src/cli/*.h | grep -v '#include "cli/' | grep -v '#include "fuze/')
if [ -n "$bad" ]; then
  echo "src/cli includes private headers:"
  echo "$bad"
  exit 1
fi
echo "src/cli includes only cli/ and public fuze/ headers"
