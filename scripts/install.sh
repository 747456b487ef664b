#!/bin/sh
# Builds the C library (libapify) and installs it into a prefix:
#
#   PREFIX=/usr/local sh scripts/install.sh
#
#   $PREFIX/include/apify.h
#   $LIBDIR/libapify.so.X.Y.Z, libapify.so.<soversion> -> it, libapify.so -> that (SONAME
#          libapify.so.<soversion>: 0.Y while the major version is 0, then X; cargo-c's rule)
#   $LIBDIR/libapify.a
#   $LIBDIR/pkgconfig/apify.pc              pkg-config --cflags --libs apify (--static: Libs.private)
#   $LIBDIR/cmake/apify/apifyConfig.cmake   find_package(apify) -> apify::apify (shared),
#                                           apify::apify_static
#
# Needs cargo, a C toolchain (the linker) and sh. Variables: PREFIX (default /usr/local), LIBDIR
# (default $PREFIX/lib), INCLUDEDIR (default $PREFIX/include), DESTDIR (staging root, put before
# every path but not written into the files), CARGO (default cargo), PROFILE (cargo profile,
# default release; `profiling` keeps line tables), FEATURES (more crate features, comma-separated,
# for the tests: emulator). CARGO_TARGET_DIR is honoured. Nothing is written outside
# $DESTDIR$PREFIX (and the target dir).
set -eu

cd "$(dirname "$0")/.."
PREFIX=${PREFIX:-/usr/local}
LIBDIR=${LIBDIR:-$PREFIX/lib}
INCLUDEDIR=${INCLUDEDIR:-$PREFIX/include}
DESTDIR=${DESTDIR:-}
CARGO=${CARGO:-cargo}
PROFILE=${PROFILE:-release}
FEATURES=${FEATURES:-}

case "$PREFIX$LIBDIR$INCLUDEDIR" in
    *[!A-Za-z0-9_./+@:-]*) echo "install.sh: PREFIX, LIBDIR and INCLUDEDIR may hold only letters, digits and _./+@:- (got $PREFIX, $LIBDIR, $INCLUDEDIR)" >&2; exit 2 ;;
esac
for dir in "PREFIX=$PREFIX" "LIBDIR=$LIBDIR" "INCLUDEDIR=$INCLUDEDIR"; do
    case "${dir#*=}" in /*) ;; *) echo "install.sh: ${dir%%=*} must be an absolute path (got ${dir#*=})" >&2; exit 2 ;; esac
done

version=$(sed -n 's/^version = "\([0-9]*\.[0-9]*\.[0-9]*\)"$/\1/p' Cargo.toml | head -n 1)
[ -n "$version" ] || { echo "install.sh: no version in Cargo.toml" >&2; exit 1; }
major=${version%%.*}
rest=${version#*.}
minor=${rest%%.*}
patch=${rest#*.}
if [ "$major" = 0 ] && [ "$minor" = 0 ]; then sover="0.0.$patch"
elif [ "$major" = 0 ]; then sover="0.$minor"
else sover="$major"; fi
soname="libapify.so.$sover"
realname="libapify.so.$version"

target_dir=$("$CARGO" metadata --format-version 1 --no-deps | sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')
[ -n "$target_dir" ] || { echo "install.sh: cargo metadata did not name the target directory" >&2; exit 1; }
case "$PROFILE" in
    dev|test) profile_dir=debug ;;
    bench) profile_dir=release ;;
    *) profile_dir=$PROFILE ;;
esac
out="$target_dir/$profile_dir"

# The SONAME and the exported symbols (apify_* only) are link arguments of this build, not of
# build.rs: a Rust crate depending on this one links no C library.
features=capi
[ -z "$FEATURES" ] || features="capi,$FEATURES"
set -- rustc --lib --profile "$PROFILE" --features "$features" --crate-type cdylib,staticlib --
# The shipped library keeps no symbol table (the exported functions are in the dynamic one);
# the profiling profile keeps it with its line tables.
[ "$PROFILE" != release ] || set -- "$@" -C strip=symbols
if [ "$(uname -s)" = Linux ]; then
    set -- "$@" -C "link-arg=-Wl,-soname,$soname" -C "link-arg=-Wl,--version-script=$PWD/apify.map"
fi
log="$target_dir/install-cargo.log"
mkdir -p "$target_dir"
# --print native-static-libs names what libapify.a needs from the system, for Libs.private.
if ! "$CARGO" "$@" --print native-static-libs 2>"$log"; then
    cat "$log" >&2
    exit 1
fi
grep -v 'native-static-libs\|^note: link against the following\|^$' "$log" >&2 || true
static_libs=$(sed -n 's/.*native-static-libs: *//p' "$log" | tail -n 1)
if [ -z "$static_libs" ]; then
    # A build that was already fresh printed nothing: ask rustc about an empty static library
    # (the same std; no dependency of this crate links a system library of its own).
    probe="$target_dir/install-probe"
    mkdir -p "$probe"
    echo '' >"$probe/probe.rs"
    static_libs=$(rustc --crate-type staticlib --crate-name probe --out-dir "$probe" --print native-static-libs "$probe/probe.rs" 2>&1 | sed -n 's/.*native-static-libs: *//p' | tail -n 1)
fi

for f in libapify.so libapify.a; do
    [ -f "$out/$f" ] || { echo "install.sh: cargo did not produce $out/$f" >&2; exit 1; }
done

lib="$DESTDIR$LIBDIR"
inc="$DESTDIR$INCLUDEDIR"
mkdir -p "$lib/pkgconfig" "$lib/cmake/apify" "$inc"
rm -f "$lib/$realname" "$lib/$soname" "$lib/libapify.so" "$lib/libapify.a"
cp "$out/libapify.so" "$lib/$realname"
chmod 755 "$lib/$realname"
ln -s "$realname" "$lib/$soname"
ln -s "$soname" "$lib/libapify.so"
cp "$out/libapify.a" "$lib/libapify.a"
chmod 644 "$lib/libapify.a"
cp include/apify.h "$inc/apify.h"
chmod 644 "$inc/apify.h"

description=$(sed -n 's/^description = "\(.*\)"$/\1/p' Cargo.toml | head -n 1)
cat >"$lib/pkgconfig/apify.pc" <<PC
prefix=$PREFIX
libdir=$LIBDIR
includedir=$INCLUDEDIR

Name: apify
Description: $description
URL: https://docs.apify.com/api/v2
Version: $version
Libs: -L\${libdir} -lapify
Libs.private: $static_libs
Cflags: -I\${includedir}
PC

cmake_libs=$(echo "$static_libs" | sed 's/-l\([^ ]*\)/\1/g; s/  */;/g; s/^;//; s/;$//')
cat >"$lib/cmake/apify/apifyConfig.cmake" <<CMAKE
# CMake package of libapify $version (written by scripts/install.sh):
#   find_package(apify 0.1 REQUIRED)
#   target_link_libraries(app PRIVATE apify::apify)          # or apify::apify_static
set(apify_VERSION "$version")
set(apify_INCLUDE_DIR "$INCLUDEDIR")
if(NOT TARGET apify::apify)
    add_library(apify::apify SHARED IMPORTED)
    set_target_properties(apify::apify PROPERTIES
        IMPORTED_LOCATION "$LIBDIR/$realname"
        IMPORTED_SONAME "$soname"
        INTERFACE_INCLUDE_DIRECTORIES "$INCLUDEDIR")
endif()
if(NOT TARGET apify::apify_static)
    add_library(apify::apify_static STATIC IMPORTED)
    set_target_properties(apify::apify_static PROPERTIES
        IMPORTED_LOCATION "$LIBDIR/libapify.a"
        INTERFACE_INCLUDE_DIRECTORIES "$INCLUDEDIR"
        INTERFACE_LINK_LIBRARIES "$cmake_libs")
endif()
CMAKE

cat >"$lib/cmake/apify/apifyConfigVersion.cmake" <<CMAKE
# Which requested versions libapify $version satisfies: the same as its SONAME, so 0.Y.* for
# 0.Y requests while the major version is 0, X.* for X requests after; not older than asked.
set(PACKAGE_VERSION "$version")
set(PACKAGE_VERSION_COMPATIBLE FALSE)
if(NOT PACKAGE_FIND_VERSION OR PACKAGE_FIND_VERSION STREQUAL "")
    set(PACKAGE_VERSION_COMPATIBLE TRUE)
elseif(PACKAGE_FIND_VERSION VERSION_LESS_EQUAL PACKAGE_VERSION)
    if("$major" STREQUAL "0")
        if(PACKAGE_FIND_VERSION_MAJOR EQUAL 0 AND PACKAGE_FIND_VERSION_MINOR EQUAL $minor)
            set(PACKAGE_VERSION_COMPATIBLE TRUE)
        endif()
    elseif(PACKAGE_FIND_VERSION_MAJOR EQUAL $major)
        set(PACKAGE_VERSION_COMPATIBLE TRUE)
    endif()
endif()
if(PACKAGE_FIND_VERSION STREQUAL PACKAGE_VERSION)
    set(PACKAGE_VERSION_EXACT TRUE)
endif()
# Built for $(getconf LONG_BIT 2>/dev/null || echo 64)-bit pointers.
if(CMAKE_SIZEOF_VOID_P AND NOT CMAKE_SIZEOF_VOID_P EQUAL $(($(getconf LONG_BIT 2>/dev/null || echo 64) / 8)))
    set(PACKAGE_VERSION_UNSUITABLE TRUE)
endif()
CMAKE
chmod 644 "$lib/pkgconfig/apify.pc" "$lib/cmake/apify/apifyConfig.cmake" "$lib/cmake/apify/apifyConfigVersion.cmake"

size=$(wc -c <"$lib/$realname" | tr -d ' ')
echo "installed libapify $version into $DESTDIR$PREFIX: $LIBDIR/$realname ($size bytes, SONAME $soname), libapify.a, $INCLUDEDIR/apify.h, apify.pc, cmake/apify"
