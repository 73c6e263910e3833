/* The software command streamer: runs a loaded context's ring and batches
 * (MI commands, blits), auditing what each may touch. Internal to gvt/. */
#ifndef XENGVT_GVT_CMD_EXEC_H
#define XENGVT_GVT_CMD_EXEC_H

struct vgpu;
struct gvt_engine;

/* Bounds on what one submission may make the streamer do. */
#define CS_SLICE_DWORDS 16384u    /* then the loop serves ioreqs again */
#define CS_SYNC_DWORDS 4096u      /* run inside the submitting ELSP write */
#define CS_MAX_CMD_DWORDS 1024u

/* Runs the loaded context from head towards tail. Returns 1
 * when the ring is empty, 0 when the budget ran out first, -1 on an
 * engine error (already reported). */
int gvt_cs_run(struct vgpu *v, struct gvt_engine *e, unsigned *budget);

#endif
