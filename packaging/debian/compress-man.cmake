# compress-man.cmake - CPACK_PRE_BUILD_SCRIPTS of cmake/Packaging.cmake: in
# the staging tree cpack is about to pack, every man page is compressed as
# Debian wants (gzip -9n: no name, no time stamp).  man/ installs them plain,
# as a hand install may keep them.
file(GLOB_RECURSE pages "${CPACK_TEMPORARY_INSTALL_DIRECTORY}/*/share/man/man[1-9]/*.[1-9]")
foreach(p ${pages})
  execute_process(COMMAND gzip -9nf "${p}" RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "gzip -9n ${p}: ${rc}")
  endif()
endforeach()
