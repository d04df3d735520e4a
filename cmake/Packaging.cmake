# Packaging.cmake - what a Debian install of Sovereign holds besides the
# programs and libraries (their own CMakeLists.txt install those), and the
# .deb itself: `cpack -G DEB` in a build directory writes
# sovereign_<version>_<arch>.deb.  Included last from the top CMakeLists.txt.
#
# The package installs to /usr (CPACK_PACKAGING_INSTALL_PREFIX): programs in
# /usr/sbin and /usr/bin, units in /lib/systemd/system, the default
# configuration in /etc/sovereign (conffiles), the data sovereign-setup
# deploys in /usr/share/sovereign/deploy, man pages, the copyright and
# changelog lintian asks for.  Its postinst creates the group sovereign and
# enables nothing: README.md, "Deploy on a real server", says how.

set(SOV_PKG_DIR ${PROJECT_SOURCE_DIR}/packaging/debian)
set(SOV_DEPLOY_DIR ${PROJECT_SOURCE_DIR}/tools/deploy)
set(SOV_UNITS sovereign-sampler.service sovereign-exporter.service
              sovereign-fan.service sovereign-watchdog.service)
set(SOV_CONFS sampler.conf exporter.conf fan.conf watchdog.conf bmc.conf)

# --- systemd units --------------------------------------------------------
# tools/deploy/systemd has the units as a hand install (`cmake --install`,
# prefix /usr/local) wants them: ExecStart=/usr/local/sbin/...  They are
# rewritten at install time for the prefix really used, so that the package's
# (prefix /usr) run /usr/sbin/sovereign-*; tests/deploy_verify.sh checks the
# sources.  /usr puts them in /lib/systemd/system (Debian 12's place for a
# package's units), any other prefix in PREFIX/lib/systemd/system.
install(CODE "
  if(CMAKE_INSTALL_PREFIX STREQUAL \"/usr\")
    set(unitdir /lib/systemd/system)
  else()
    set(unitdir \"\${CMAKE_INSTALL_PREFIX}/lib/systemd/system\")
  endif()
  foreach(u ${SOV_UNITS})
    file(READ \"${SOV_DEPLOY_DIR}/systemd/\${u}\" text)
    string(REPLACE \"/usr/local/sbin/\" \"\${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_SBINDIR}/\"
           text \"\${text}\")
    message(STATUS \"Installing: \$ENV{DESTDIR}\${unitdir}/\${u}\")
    file(MAKE_DIRECTORY \"\$ENV{DESTDIR}\${unitdir}\")
    file(WRITE \"\$ENV{DESTDIR}\${unitdir}/\${u}\" \"\${text}\")
    file(CHMOD \"\$ENV{DESTDIR}\${unitdir}/\${u}\"
         FILE_PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)
  endforeach()
")

# --- configuration: /etc/sovereign, whatever the prefix (the units and the
# programs' defaults name it).  None holds a secret (the exporter's password
# file and bmc.conf's password_file are the admin's own, 0600): 0644.
# bmc.conf is the example of every sovereign-bmc key, all commented out.
foreach(c ${SOV_CONFS})
  install(FILES ${SOV_DEPLOY_DIR}/${c} DESTINATION /etc/sovereign
          PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)
endforeach()
# msr and i2c-dev at boot, for the sampler's msr and i2c_* backends.
install(FILES ${SOV_DEPLOY_DIR}/modules-load.d/sovereign.conf
        DESTINATION lib/modules-load.d)

# --- what sovereign-setup deploys, when it runs installed: tools/deploy as it
# is in the source tree (units naming /usr/local/sbin, which it rewrites to
# where the programs are; the configs; modules-load.d), in
# PREFIX/share/sovereign/deploy.  sovereign-setup, in PREFIX/sbin, looks for
# ../deploy (the source tree), then ../share/sovereign/deploy.
set(SOV_SETUP_DATA ${CMAKE_INSTALL_DATADIR}/sovereign/deploy)
foreach(u ${SOV_UNITS})
  install(FILES ${SOV_DEPLOY_DIR}/systemd/${u} DESTINATION ${SOV_SETUP_DATA}/systemd
          PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)
endforeach()
foreach(c ${SOV_CONFS})
  install(FILES ${SOV_DEPLOY_DIR}/${c} DESTINATION ${SOV_SETUP_DATA}
          PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)
endforeach()
install(FILES ${SOV_DEPLOY_DIR}/modules-load.d/sovereign.conf
        DESTINATION ${SOV_SETUP_DATA}/modules-load.d
        PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)

# --- what Debian asks of a package: copyright, changelog, overrides --------
set(SOV_DOCDIR ${CMAKE_INSTALL_DATADIR}/doc/sovereign)
install(FILES ${SOV_PKG_DIR}/copyright DESTINATION ${SOV_DOCDIR})
# Native version (no Debian revision): changelog.gz, compressed as lintian
# wants (gzip -9n: no name, no time stamp).
set(SOV_CHANGELOG_GZ ${CMAKE_BINARY_DIR}/packaging/changelog.gz)
add_custom_command(OUTPUT ${SOV_CHANGELOG_GZ}
  COMMAND ${CMAKE_COMMAND} -E make_directory ${CMAKE_BINARY_DIR}/packaging
  COMMAND gzip -9nc ${SOV_PKG_DIR}/changelog > ${SOV_CHANGELOG_GZ}
  DEPENDS ${SOV_PKG_DIR}/changelog VERBATIM)
add_custom_target(sovereign_changelog ALL DEPENDS ${SOV_CHANGELOG_GZ})
install(FILES ${SOV_CHANGELOG_GZ} DESTINATION ${SOV_DOCDIR})
install(FILES ${SOV_PKG_DIR}/lintian-overrides DESTINATION ${CMAKE_INSTALL_DATADIR}/lintian/overrides
        RENAME sovereign)

# --- the .deb ---------------------------------------------------------------
# conffiles: every file installed into /etc/sovereign.
set(SOV_CONFFILES "")
foreach(c ${SOV_CONFS})
  string(APPEND SOV_CONFFILES "/etc/sovereign/${c}\n")
endforeach()
file(WRITE ${CMAKE_BINARY_DIR}/packaging/conffiles "${SOV_CONFFILES}")

# cpack (and make install) package what is built and build nothing: run in
# a build tree, by tests/packaging among others, it never recompiles a
# program that another test is running.
set(CMAKE_SKIP_INSTALL_ALL_DEPENDENCY ON)

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME sovereign)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "Sovereign developers <sovereign@example.org>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "real-time health daemon for inference servers")
set(CPACK_PACKAGE_DESCRIPTION
  "A SCHED_FIFO sampler reads every sensor (MSR, hwmon, powercap, I2C) from one
housekeeping core into a lock-free shared-memory ring; independent
read-only processes serve it to Prometheus, drive the fans and watch the
inference process and the hardware watchdog.  sovereign-bmc puts the BMC
in cold standby; sovereign-setup deploys the whole on a server.  Includes
libsovereign, its headers and the Python bindings.  The systemd units are
installed but not enabled.")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
# Only the default component: bench/smi_jitter, built with the tests, is a
# tool of the build tree (COMPONENT bench), not of the package.
set(CPACK_INSTALL_CMAKE_PROJECTS "${CMAKE_BINARY_DIR};sovereign;Unspecified;/")
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION admin)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
# Depends from the ELF files (dpkg-shlibdeps, dpkg-dev: libfreeipmi17,
# libcurl4... for sovereign-bmc among them), the group's
# addgroup (adduser), and a shlibs file for libsovereign's users.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "adduser")
# sovereign-setup verify (and install's last step) scrapes the exporter.
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "curl")
set(CPACK_DEBIAN_PACKAGE_GENERATE_SHLIBS ON)
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
  "${SOV_PKG_DIR}/postinst;${SOV_PKG_DIR}/postrm;${SOV_PKG_DIR}/triggers;${CMAKE_BINARY_DIR}/packaging/conffiles")
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
# man/ installs its pages plain: gzipped in the package only.
set(CPACK_PRE_BUILD_SCRIPTS ${SOV_PKG_DIR}/compress-man.cmake)
include(CPack)
