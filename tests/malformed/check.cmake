# Checks one malformed scenario against the CLI:
#   cmake -DNVMSIM=<path to nvmsim> -DFILE=<scenario.yaml> -P check.cmake
# The file's first line says where and how loading must fail:
#   # expect-error: LINE:COL: <substring of the error text>
# `nvmsim validate FILE` must exit with 2 (an input error) and print "<FILE>:LINE:COL: " and the
# substring on stderr.

if(NOT DEFINED NVMSIM OR NOT DEFINED FILE)
  message(FATAL_ERROR "usage: cmake -DNVMSIM=<nvmsim binary> -DFILE=<scenario.yaml> -P check.cmake")
endif()
if(NOT EXISTS "${FILE}")
  message(FATAL_ERROR "${FILE}: no such file")
endif()

# Only the first line matters; read a little more than any header could be and cut at the newline
# (file(STRINGS) would split on ';', which a message may contain).
file(READ "${FILE}" head LIMIT 1024)
string(FIND "${head}" "\n" eol)
if(NOT eol EQUAL -1)
  string(SUBSTRING "${head}" 0 ${eol} head)
endif()
string(REGEX REPLACE "\r$" "" head "${head}")
if(NOT head MATCHES "^# expect-error: ([0-9]+):([0-9]+): (.+)$")
  message(FATAL_ERROR "${FILE}: the first line must be '# expect-error: LINE:COL: <message>', "
                      "got '${head}'")
endif()
set(line "${CMAKE_MATCH_1}")
set(column "${CMAKE_MATCH_2}")
set(expected "${CMAKE_MATCH_3}")
# The trailing ": " keeps 3:2 from matching an error at 3:25.
set(where "${FILE}:${line}:${column}: ")

execute_process(
  COMMAND "${NVMSIM}" validate "${FILE}"
  RESULT_VARIABLE status
  OUTPUT_VARIABLE out
  ERROR_VARIABLE err)

set(report "\n--- stderr ---\n${err}--- stdout ---\n${out}")
if(NOT status STREQUAL "2")
  message(FATAL_ERROR "${FILE}: 'nvmsim validate' exited with '${status}', expected 2 "
                      "(an input error)${report}")
endif()
string(FIND "${err}" "${where}" at)
if(at EQUAL -1)
  message(FATAL_ERROR "${FILE}: stderr does not name ${FILE}:${line}:${column}${report}")
endif()
string(FIND "${err}" "${expected}" found)
if(found EQUAL -1)
  message(FATAL_ERROR "${FILE}: stderr does not contain '${expected}'${report}")
endif()
