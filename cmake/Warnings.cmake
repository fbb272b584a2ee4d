# Warnings for our own code only (dependency headers are system headers and stay quiet).
function(upscope_apply_warnings target)
  target_compile_options(${target} INTERFACE -Wall -Wextra -Wshadow -Wnon-virtual-dtor -Wpedantic)
  if(UPSCOPE_WERROR)
    target_compile_options(${target} INTERFACE -Werror)
  endif()
endfunction()
