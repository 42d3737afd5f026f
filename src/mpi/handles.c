/* MPI handles rsmpi does not export, read through the MPI library's own header so that the same
 * source builds against Open MPI (where they are addresses of globals) and MPICH and its family,
 * Intel MPI and Cray MPICH (where they are integer constants). build.rs compiles this with the
 * MPI compiler wrapper rsmpi itself uses ($MPICC, else mpicc). */
#include <mpi.h>

MPI_Op parahpc_mpi_op_replace(void) { return MPI_REPLACE; }

MPI_Op parahpc_mpi_op_no_op(void) { return MPI_NO_OP; }
