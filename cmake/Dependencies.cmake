# The dependency rule of the tree (docs/ARCHITECTURE.md): rt -> shm, common;
# readers -> shm, common; tools -> shm, common (and tools' own libraries).
# Nothing from readers/ or tools/ links the sampler (rt_core, rt_backends):
# checked here, over every target's link closure, so that a CMake edit that
# breaks the rule fails the configure, not a review.

# sov_link_closure(TARGET OUT): every target TARGET links, transitively.
function(sov_link_closure target out)
  set(seen "")
  set(todo ${target})
  while(todo)
    list(POP_FRONT todo t)
    if(NOT TARGET ${t} OR t IN_LIST seen)
      continue()
    endif()
    list(APPEND seen ${t})
    get_target_property(type ${t} TYPE)
    if(type STREQUAL "INTERFACE_LIBRARY")
      get_target_property(libs ${t} INTERFACE_LINK_LIBRARIES)
    else()
      get_target_property(libs ${t} LINK_LIBRARIES)
      get_target_property(ilibs ${t} INTERFACE_LINK_LIBRARIES)
      if(ilibs)
        list(APPEND libs ${ilibs})
      endif()
    endif()
    if(libs)
      foreach(l ${libs})
        string(REGEX REPLACE "^\\$<LINK_ONLY:(.*)>$" "\\1" l "${l}")
        list(APPEND todo ${l})
      endforeach()
    endif()
  endwhile()
  set(${out} ${seen} PARENT_SCOPE)
endfunction()

# sov_check_no_sampler(TARGET...): fail the configure if one links rt_core.
function(sov_check_no_sampler)
  foreach(t ${ARGN})
    if(NOT TARGET ${t})
      continue()
    endif()
    sov_link_closure(${t} closure)
    foreach(bad rt_core rt_backends)
      if(bad IN_LIST closure)
        message(FATAL_ERROR "dependency rule: ${t} links ${bad} (the sampler's library); "
                            "readers and tools share only shm/ and common/")
      endif()
    endforeach()
  endforeach()
endfunction()
