# kappa_module(NAME SRCS <files...> DEPS <targets...>)
#
# Declares the library target `kappa_<NAME>` for one module folder, with the
# project's warning, sanitizer and include settings applied to that target only
# (no global flags). Sources include each other as "module/file.h" from the
# repository root.
function(kappa_apply_build_settings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow
                         -Wnon-virtual-dtor -Wconversion -Wno-sign-conversion
                         # Options structs have in-class defaults; designated
                         # initializers may name only what differs.
                         -Wno-missing-field-initializers)
  if(KAPPA_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
  if(KAPPA_SANITIZE)
    # GCC 12 reports false maybe-uninitialized warnings inside libstdc++
    # (std::regex, std::variant) once sanitizers instrument the code.
    target_compile_options(${target} PRIVATE -fsanitize=${KAPPA_SANITIZE}
                           -fno-omit-frame-pointer -fno-sanitize-recover=all
                           $<$<CXX_COMPILER_ID:GNU>:-Wno-maybe-uninitialized>)
    target_link_options(${target} PRIVATE -fsanitize=${KAPPA_SANITIZE})
  endif()
  if(KAPPA_FUZZ)
    # Coverage feedback for libFuzzer; fuzz/ links the fuzzer's main itself.
    target_compile_options(${target} PRIVATE -fsanitize=fuzzer-no-link)
  endif()
endfunction()

function(kappa_module name)
  cmake_parse_arguments(ARG "" "" "SRCS;DEPS;PRIVATE_DEPS" ${ARGN})
  add_library(kappa_${name} STATIC ${ARG_SRCS})
  target_include_directories(kappa_${name} PUBLIC ${PROJECT_SOURCE_DIR})
  target_link_libraries(kappa_${name} PUBLIC ${ARG_DEPS} PRIVATE ${ARG_PRIVATE_DEPS})
  kappa_apply_build_settings(kappa_${name})
endfunction()
