# seL4's "all tests ran" for the in-kernel tests: ktest.all_registered.<plat>
# (tests/qemu/ktest_all_ran.py) fails while a KTEST compiled into ktest.img
# is not registered with add_ktest(), or a registered one is not compiled in
# or prints no [PASS] line when the image runs every test once.
#
# add_ktest() records each name in the global property CHCORE_KTESTS; the
# check is added when this directory's CMakeLists.txt has been read to the
# end, so add_ktest() may be called anywhere in it.

function(_chcore_add_ktest_all_ran)
  get_property(names GLOBAL PROPERTY CHCORE_KTESTS)
  list(JOIN names "\n" text)
  set(registered ${CMAKE_CURRENT_BINARY_DIR}/ktests_registered.txt)
  file(CONFIGURE OUTPUT ${registered} CONTENT "${text}\n" @ONLY)
  math(EXPR ctest_timeout "2 * ${CHCORE_TEST_TIMEOUT} + 30")
  foreach(plat IN LISTS CHCORE_PLATFORMS)
    add_test(NAME ktest.all_registered.${plat}
      COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/ktest_all_ran.py
              --plat ${plat}
              --image ${CMAKE_BINARY_DIR}/kernel-${plat}/ktest.img
              --registered ${registered}
              --timeout ${CHCORE_TEST_TIMEOUT})
    set_tests_properties(ktest.all_registered.${plat} PROPERTIES
      TIMEOUT ${ctest_timeout}
      LABELS "qemu;${plat}")
  endforeach()
endfunction()
cmake_language(DEFER CALL _chcore_add_ktest_all_ran)

# The comparison itself, on saved console output (no QEMU).
add_test(NAME tools.ktest_all_ran
  COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/test_tools.py KtestAllRan)
set_tests_properties(tools.ktest_all_ran PROPERTIES TIMEOUT 60 LABELS "tools")
