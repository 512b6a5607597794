/* A struct that kernel.c only declares: its definition is in this unit alone, as a
   multi-file kernel's private types are. */

struct opaque {
    int secret;
    short tag;
};

struct opaque the_opaque = {42, 7};
