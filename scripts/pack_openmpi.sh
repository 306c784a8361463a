#!/usr/bin/env bash
# Copies a minimal, relocatable Open MPI 4.1 runtime (Debian 12's openmpi-bin/libopenmpi3 with its
# external PMIx 4.2, hwloc and libevent) into DEST, so that `mpirun -np 2 PROGRAM` works on a
# machine that has no Open MPI (no compiler, no network, root, gVisor) for a PROGRAM linked against
# Debian's libmpi.so.40. Only single-node shared-memory components are kept (btl self+vader, pml
# ob1, the launcher's local components); network plugins (openib, ofi, ucx, psm, tcp) and their
# libraries are dropped. Every library they load (ldd) is carried, except glibc's and the C++ runtime.
# On the other machine:   source DEST/env.sh && mpirun -np 2 PROGRAM
#
# Usage: scripts/pack_openmpi.sh DEST     (DEST is replaced: it must be absent, empty or an old pack)
set -euo pipefail
[ $# -eq 1 ] || { echo "usage: $0 DEST" >&2; exit 2; }
dest=$1
arch=x86_64-linux-gnu
sys=/usr/lib/$arch
ompi_lib=$sys/openmpi/lib            # Debian's Open MPI libdir; plugins in $ompi_lib/openmpi3
pmix=$sys/pmix2                      # Debian's PMIx prefix; plugins in $pmix/lib/pmix
for f in /usr/bin/orterun /usr/bin/orted "$ompi_lib/openmpi3/mca_pml_ob1.so" "$pmix/lib/libpmix.so.2"; do
    [ -e "$f" ] || { echo "missing $f: install openmpi-bin and libopenmpi3" >&2; exit 1; }
done

if [ -d "$dest" ] && [ -n "$(ls -A "$dest")" ] && [ ! -f "$dest/env.sh" ]; then
    echo "$dest is not empty and not an earlier pack: refusing to delete it" >&2; exit 1
fi
rm -rf "$dest"
# Same layout as the install below OPAL_PREFIX (Open MPI derives libdir etc. from it).
lib=$dest/lib/$arch/openmpi/lib
mkdir -p "$dest/bin" "$lib/openmpi3" "$dest/lib/pmix" "$dest/share/openmpi" "$dest/share/pmix" \
         "$dest/etc" "$dest/lib/hwloc"

# Binaries: real copies, no symlinks, so any transport keeps them.
cp /usr/bin/orterun "$dest/bin/orterun"
cp /usr/bin/orterun "$dest/bin/mpirun"
cp /usr/bin/orterun "$dest/bin/mpiexec"
cp /usr/bin/orted /usr/bin/ompi_info "$dest/bin/"

# MCA plugins for one node with shared memory, per framework.
keep="allocator_basic allocator_bucket bml_r2 btl_self btl_vader
 coll_adapt coll_basic coll_han coll_inter coll_libnbc coll_self coll_sm coll_sync coll_tuned
 errmgr_default_app errmgr_default_hnp errmgr_default_orted ess_env ess_hnp ess_pmi ess_singleton
 filem_raw grpcomm_direct iof_hnp iof_orted mpool_hugepage odls_default odls_pspawn oob_tcp op_avx
 osc_rdma osc_sm patcher_overwrite plm_isolated pmix_ext3x pml_ob1 pstat_linux
 rcache_grdma reachable_weighted regx_fwd regx_naive regx_reverse
 rmaps_mindist rmaps_ppr rmaps_rank_file rmaps_round_robin rmaps_seq rml_oob
 routed_binomial routed_direct routed_radix rtc_hwloc schizo_ompi schizo_orte
 shmem_mmap shmem_posix shmem_sysv state_app state_hnp state_novm state_orted topo_basic"
for c in $keep; do cp "$ompi_lib/openmpi3/mca_$c.so" "$lib/openmpi3/"; done
# PMIx's own plugins (compression, default resource manager); the slurm one is not needed.
cp "$pmix/lib/pmix/pmix_mca_pcompress_zlib.so" "$pmix/lib/pmix/pmix_mca_prm_default.so" "$dest/lib/pmix/"

# Shared libraries: libmpi and libmpi_cxx (CMake's MPI::MPI_CXX links both) and the closure of
# everything here, under their sonames, minus glibc and the C++ runtime (libstdc++/libgcc_s: any
# C++ program needs them anyway, and an older copy on LD_LIBRARY_PATH could shadow a newer one).
is_base() { case $1 in linux-vdso*|ld-linux*|libc.so*|libm.so*|libpthread.so*|libdl.so*|librt.so*| \
    libresolv.so*|libutil.so*|libanl.so*|libnsl.so*|libmvec.so*|libstdc++.so*|libgcc_s.so*) return 0;; esac
    return 1; }
cp -L "$sys/libmpi.so.40" "$sys/libmpi_cxx.so.40" "$lib/"
need=$(for f in "$dest"/bin/* "$lib"/*.so.* "$lib"/openmpi3/*.so "$dest"/lib/pmix/*.so; do
    ldd "$f"; done | awk '$2 == "=>" { print $1, $3 }' | sort -u)
while read -r name path; do
    is_base "$name" && continue
    [ -f "$path" ] || { echo "unresolved dependency $name" >&2; exit 1; }
    cp -L "$path" "$lib/$name"
done <<< "$need"

# Help texts (mpirun/orted print them on any error) and configuration.
cp /usr/share/openmpi/help-*.txt "$dest/share/openmpi/"
cp "$pmix"/share/pmix/help-*.txt "$dest/share/pmix/"
cp /etc/openmpi/openmpi-mca-params.conf /etc/openmpi/openmpi-default-hostfile "$dest/etc/"
printf '# relocated copy: component path set by env.sh (PMIX_MCA_mca_base_component_path)\n' \
    > "$dest/etc/pmix-mca-params.conf"
: > "$dest/lib/hwloc/.keep"   # empty hwloc plugin dir: the system's X11/OpenCL/PCI plugins are not carried

cat > "$dest/env.sh" <<'EOF'
# Source this (bash): puts the relocated Open MPI runtime next to this file on PATH and configures
# it for one node with shared memory, as root, in a sandbox (gVisor: no CMA, no binding).
_ompi_d=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
export OPAL_PREFIX=$_ompi_d                      # bindir, libdir, pkglibdir, pkgdatadir follow it
export OPAL_SYSCONFDIR=$_ompi_d/etc              # Debian's is absolute (/etc/openmpi), so set it
export PMIX_PREFIX=$_ompi_d PMIX_LIBDIR=$_ompi_d/lib PMIX_PKGLIBDIR=$_ompi_d/lib/pmix
export PMIX_PKGDATADIR=$_ompi_d/share/pmix PMIX_SYSCONFDIR=$_ompi_d/etc
export PMIX_MCA_mca_base_component_path=$_ompi_d/lib/pmix
export HWLOC_PLUGINS_PATH=$_ompi_d/lib/hwloc      # empty: no system hwloc plugins (X11, OpenCL, PCI)
export HWLOC_HIDE_ERRORS=${HWLOC_HIDE_ERRORS:-2}  # sandbox sysfs lacks cpu topology: hwloc warns per process
export PATH=$_ompi_d/bin${PATH:+:$PATH}
export LD_LIBRARY_PATH=$_ompi_d/lib/x86_64-linux-gnu/openmpi/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_btl=self,vader OMPI_MCA_pml=ob1 OMPI_MCA_btl_vader_single_copy_mechanism=none
export OMPI_MCA_plm=isolated                     # local launch only: plm rsh aborts when ssh is absent
export OMPI_MCA_hwloc_base_binding_policy=none OMPI_MCA_rmaps_base_mapping_policy=slot
export OMPI_MCA_rmaps_base_oversubscribe=1
export OMPI_MCA_mca_base_component_show_load_errors=0 OMPI_MCA_btl_base_warn_component_unused=0
if [ ! -w /dev/shm ]; then export OMPI_MCA_btl_vader_backing_directory=${TMPDIR:-/tmp}; fi
unset _ompi_d
EOF
echo "packed Open MPI runtime into $dest ($(du -sh "$dest" | cut -f1)); use: source $dest/env.sh"
