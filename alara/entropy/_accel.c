/* alara.entropy._accel: the entropy layer's per-request arithmetic, in C.
 *
 * Optional: every function here has a pure-Python twin (``alara.entropy._health.HealthTests``,
 * ``alara.entropy._mixing._encode``) that is the reference, used when this module is not built,
 * and checked against it by the tests. What it saves is interpreter work: the continuous
 * health tests of one 32-byte contribution cost about 9k machine instructions as bytecode
 * and C calls, and run three times per request.
 *
 * Nothing here keeps sample values beyond what the tests need (the last sample, the
 * window's reference sample, and a 64-bit keyed digest of the last compared block's prefix),
 * and no message or repr shows one.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define APT_WINDOW 512
#define MAX_RCT_CUTOFF (1 << 16)

static PyObject *health_error; /* alara.errors.HealthTestError */

typedef struct {
    PyObject_HEAD
    vectorcallfunc vectorcall;
    Py_ssize_t rct_cutoff;
    Py_ssize_t apt_cutoff;
    int last;              /* last sample seen, -1 before the first */
    Py_ssize_t rct_run;    /* length of the run the samples so far end with */
    int apt_ref;           /* the current window's first sample */
    Py_ssize_t apt_seen;   /* samples of the current window seen so far */
    Py_ssize_t apt_count;  /* occurrences of apt_ref in the current window */
    Py_ssize_t block_prefix; /* bytes the repeated-block test compares; 0: off */
    Py_hash_t block;       /* hash() of the last compared block's prefix; -1: none yet */
} HealthState;

static PyObject *
rct_failure(HealthState *self)
{
    PyErr_Format(health_error,
                 "health_test: repetition count test failed: %zd or more identical samples "
                 "in a row (cutoff %zd)", self->rct_cutoff, self->rct_cutoff);
    return NULL;
}

static PyObject *
block_failure(HealthState *self)
{
    PyErr_Format(health_error,
                 "health_test: repeated block test failed: a block began with the same %zd "
                 "bytes as the previous one", self->block_prefix);
    return NULL;
}

/* The digest the Python twin takes, hash(bytes(data[:prefix])): the same keyed hash, so the
 * two twins' states stay comparable. */
static Py_hash_t
prefix_hash(const unsigned char *data, Py_ssize_t prefix)
{
    PyObject *head = PyBytes_FromStringAndSize((const char *)data, prefix);
    if (head == NULL) {
        return -1;
    }
    Py_hash_t digest = PyObject_Hash(head);
    Py_DECREF(head);
    return digest;
}

static PyObject *
apt_failure(HealthState *self)
{
    PyErr_Format(health_error,
                 "health_test: adaptive proportion test failed: one sample value filled %zd "
                 "or more of a %d-sample window (cutoff %zd)",
                 self->apt_cutoff, APT_WINDOW, self->apt_cutoff);
    return NULL;
}

/* The tests over one block, as the Python twin runs them: the repeated-block test first, then
 * the whole block's RCT, then its APT; the state is only updated when the block passes all. */
static PyObject *
health_check(HealthState *self, const unsigned char *data, Py_ssize_t n)
{
    if (n == 0) {
        Py_RETURN_NONE;
    }
    Py_hash_t block = self->block;
    if (self->block_prefix && n >= self->block_prefix) {
        block = prefix_hash(data, self->block_prefix);
        if (block == -1) {
            return NULL;
        }
        if (block == self->block) {
            return block_failure(self);
        }
    }
    int last = self->last;
    Py_ssize_t run = self->rct_run;
    const Py_ssize_t rct_cutoff = self->rct_cutoff;
    for (Py_ssize_t i = 0; i < n; i++) {
        if (data[i] == last) {
            if (++run >= rct_cutoff) {
                return rct_failure(self);
            }
        }
        else {
            last = data[i];
            run = 1;
        }
    }
    int ref = self->apt_ref;
    Py_ssize_t seen = self->apt_seen, count = self->apt_count;
    const Py_ssize_t apt_cutoff = self->apt_cutoff;
    for (Py_ssize_t i = 0; i < n; i++) {
        if (seen == 0) {
            ref = data[i];
            count = 0;
        }
        if (data[i] == ref && ++count >= apt_cutoff) {
            return apt_failure(self);
        }
        if (++seen == APT_WINDOW) {
            seen = 0;
            count = 0;
        }
    }
    self->last = last;
    self->rct_run = run;
    self->apt_ref = ref;
    self->apt_seen = seen;
    self->apt_count = count;
    self->block = block;
    Py_RETURN_NONE;
}

static PyObject *
health_vectorcall(PyObject *callable, PyObject *const *args, size_t nargsf, PyObject *kwnames)
{
    HealthState *self = (HealthState *)callable;
    Py_ssize_t nargs = PyVectorcall_NARGS(nargsf);
    if (nargs != 1 || (kwnames != NULL && PyTuple_GET_SIZE(kwnames) != 0)) {
        PyErr_SetString(PyExc_TypeError, "health tests take exactly one argument: the block");
        return NULL;
    }
    PyObject *block = args[0];
    if (PyBytes_CheckExact(block)) {
        return health_check(self, (const unsigned char *)PyBytes_AS_STRING(block),
                            PyBytes_GET_SIZE(block));
    }
    Py_buffer view;
    if (PyObject_GetBuffer(block, &view, PyBUF_SIMPLE) < 0) {
        return NULL;
    }
    PyObject *result = health_check(self, (const unsigned char *)view.buf, view.len);
    PyBuffer_Release(&view);
    return result;
}

static PyObject *
health_new(PyTypeObject *type, PyObject *args, PyObject *kwargs)
{
    static char *keywords[] = {"rct_cutoff", "apt_cutoff", "block_prefix", NULL};
    Py_ssize_t rct_cutoff, apt_cutoff, block_prefix = 0;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "nn|n", keywords, &rct_cutoff, &apt_cutoff,
                                     &block_prefix)) {
        return NULL;
    }
    if (rct_cutoff < 2 || rct_cutoff > MAX_RCT_CUTOFF || apt_cutoff < 2
            || apt_cutoff > APT_WINDOW + 1 || block_prefix < 0
            || block_prefix > MAX_RCT_CUTOFF) {
        PyErr_SetString(PyExc_ValueError,
                        "rct_cutoff must be in [2, 65536], apt_cutoff in [2, 513] and "
                        "block_prefix in [0, 65536]");
        return NULL;
    }
    HealthState *self = (HealthState *)type->tp_alloc(type, 0);
    if (self == NULL) {
        return NULL;
    }
    self->vectorcall = health_vectorcall;
    self->rct_cutoff = rct_cutoff;
    self->apt_cutoff = apt_cutoff;
    self->last = -1;
    self->rct_run = 0;
    self->apt_ref = 0;
    self->apt_seen = 0;
    self->apt_count = 0;
    self->block_prefix = block_prefix;
    self->block = -1;
    return (PyObject *)self;
}

static PyObject *
health_repr(HealthState *self)
{
    return PyUnicode_FromFormat("HealthTests(rct_cutoff=%zd, apt_cutoff=%zd, block_prefix=%zd)",
                                self->rct_cutoff, self->apt_cutoff, self->block_prefix);
}

static PyObject *
health_state(HealthState *self, PyObject *Py_UNUSED(ignored))
{
    /* For the tests that hold this twin to the Python one: its whole state, as a tuple. */
    return Py_BuildValue("(ininnL)", self->last, self->rct_run, self->apt_ref, self->apt_seen,
                         self->apt_count, (long long)self->block);
}

static PyMethodDef health_methods[] = {
    {"_state", (PyCFunction)health_state, METH_NOARGS,
     "(last, rct_run, apt_ref, apt_seen, apt_count, block): the state, for tests."},
    {NULL, NULL, 0, NULL},
};

static PyTypeObject HealthStateType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "alara.entropy._accel.HealthTests",
    .tp_doc = PyDoc_STR("RCT, APT and repeated-block state for one source (C twin of "
                        "alara.entropy._health.HealthTests)."),
    .tp_basicsize = sizeof(HealthState),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_VECTORCALL,
    .tp_new = health_new,
    .tp_repr = (reprfunc)health_repr,
    .tp_call = PyVectorcall_Call,
    .tp_vectorcall_offset = offsetof(HealthState, vectorcall),
    .tp_methods = health_methods,
};

static void
put_u64(unsigned char *out, uint64_t value)
{
    for (int i = 7; i >= 0; i--) {
        out[i] = (unsigned char)(value & 0xFF);
        value >>= 8;
    }
}

/* frame(tag, contributions, n): tag || u64(n) || u64(count) || for each: u64(len) || bytes,
 * for a list of bytes objects of one length (what a network mixes); None for anything else,
 * which the caller then encodes the general way. */
static PyObject *
frame(PyObject *Py_UNUSED(module), PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 3) {
        PyErr_SetString(PyExc_TypeError, "frame(tag, contributions, n)");
        return NULL;
    }
    PyObject *tag = args[0], *contributions = args[1];
    if (!PyBytes_CheckExact(tag) || !PyList_CheckExact(contributions)) {
        Py_RETURN_NONE;
    }
    Py_ssize_t n = PyLong_AsSsize_t(args[2]);
    if (n == -1 && PyErr_Occurred()) {
        return NULL;
    }
    if (n < 0) {
        Py_RETURN_NONE;
    }
    Py_ssize_t count = PyList_GET_SIZE(contributions);
    if (count == 0) {
        Py_RETURN_NONE;
    }
    PyObject *first = PyList_GET_ITEM(contributions, 0);
    if (!PyBytes_CheckExact(first)) {
        Py_RETURN_NONE;
    }
    Py_ssize_t size = PyBytes_GET_SIZE(first);
    for (Py_ssize_t i = 1; i < count; i++) {
        PyObject *item = PyList_GET_ITEM(contributions, i);
        if (!PyBytes_CheckExact(item) || PyBytes_GET_SIZE(item) != size) {
            Py_RETURN_NONE;
        }
    }
    Py_ssize_t tag_size = PyBytes_GET_SIZE(tag);
    if (count > (PY_SSIZE_T_MAX - tag_size - 16) / (size + 8)) {
        Py_RETURN_NONE;  /* beyond any buffer: the general path says so */
    }
    PyObject *out = PyBytes_FromStringAndSize(NULL, tag_size + 16 + count * (size + 8));
    if (out == NULL) {
        return NULL;
    }
    unsigned char *p = (unsigned char *)PyBytes_AS_STRING(out);
    memcpy(p, PyBytes_AS_STRING(tag), (size_t)tag_size);
    p += tag_size;
    put_u64(p, (uint64_t)n);
    put_u64(p + 8, (uint64_t)count);
    p += 16;
    for (Py_ssize_t i = 0; i < count; i++) {
        put_u64(p, (uint64_t)size);
        memcpy(p + 8, PyBytes_AS_STRING(PyList_GET_ITEM(contributions, i)), (size_t)size);
        p += 8 + size;
    }
    return out;
}

/* The token encodings of large outputs: the str is made with the GIL held (an allocation),
 * then filled with the GIL released, so that, called in a worker thread, a 64 MiB encoding
 * leaves the event loop's thread free. Nobody else can see the new str before it is returned,
 * and the input's buffer is held for the whole call. */
typedef void (*encoder)(const unsigned char *src, Py_ssize_t n, Py_UCS1 *dst);

static void
hex_encode(const unsigned char *src, Py_ssize_t n, Py_UCS1 *dst)
{
    static const char digits[] = "0123456789abcdef";
    for (Py_ssize_t i = 0; i < n; i++) {
        dst[2 * i] = (Py_UCS1)digits[src[i] >> 4];
        dst[2 * i + 1] = (Py_UCS1)digits[src[i] & 0x0F];
    }
}

static void
urlsafe_encode(const unsigned char *src, Py_ssize_t n, Py_UCS1 *dst)
{
    static const char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    Py_ssize_t i = 0;
    for (; i + 3 <= n; i += 3) {
        uint32_t v = ((uint32_t)src[i] << 16) | ((uint32_t)src[i + 1] << 8) | src[i + 2];
        *dst++ = (Py_UCS1)alphabet[v >> 18];
        *dst++ = (Py_UCS1)alphabet[(v >> 12) & 0x3F];
        *dst++ = (Py_UCS1)alphabet[(v >> 6) & 0x3F];
        *dst++ = (Py_UCS1)alphabet[v & 0x3F];
    }
    if (n - i == 1) {
        *dst++ = (Py_UCS1)alphabet[src[i] >> 2];
        *dst++ = (Py_UCS1)alphabet[(src[i] & 0x03) << 4];
    }
    else if (n - i == 2) {
        uint32_t v = ((uint32_t)src[i] << 8) | src[i + 1];
        *dst++ = (Py_UCS1)alphabet[v >> 10];
        *dst++ = (Py_UCS1)alphabet[(v >> 4) & 0x3F];
        *dst++ = (Py_UCS1)alphabet[(v & 0x0F) << 2];
    }
}

static PyObject *
encode(PyObject *data, encoder fill, Py_ssize_t (*length)(Py_ssize_t))
{
    Py_buffer view;
    if (PyObject_GetBuffer(data, &view, PyBUF_SIMPLE) < 0) {
        return NULL;
    }
    if (view.len > PY_SSIZE_T_MAX / 2 - 2) {
        PyBuffer_Release(&view);
        return PyErr_NoMemory();
    }
    PyObject *out = PyUnicode_New(length(view.len), 127);
    if (out != NULL) {
        Py_UCS1 *dst = PyUnicode_1BYTE_DATA(out);
        Py_BEGIN_ALLOW_THREADS
        fill((const unsigned char *)view.buf, view.len, dst);
        Py_END_ALLOW_THREADS
    }
    PyBuffer_Release(&view);
    return out;
}

static Py_ssize_t hex_length(Py_ssize_t n) { return 2 * n; }
static Py_ssize_t urlsafe_length(Py_ssize_t n) { return (4 * n + 2) / 3; }

static PyObject *
token_hex(PyObject *Py_UNUSED(module), PyObject *data)
{
    return encode(data, hex_encode, hex_length);
}

static PyObject *
token_urlsafe(PyObject *Py_UNUSED(module), PyObject *data)
{
    return encode(data, urlsafe_encode, urlsafe_length);
}

static PyMethodDef module_methods[] = {
    {"token_hex", token_hex, METH_O,
     "bytes.hex() of a bytes-like object, filled with the GIL released."},
    {"token_urlsafe", token_urlsafe, METH_O,
     "URL-safe base64 without padding (secrets.token_urlsafe's), filled with the GIL released."},
    {"frame", (PyCFunction)(void (*)(void))frame, METH_FASTCALL,
     "The injective encoding of equal-length bytes contributions, or None."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef accel_module = {
    PyModuleDef_HEAD_INIT,
    .m_name = "alara.entropy._accel",
    .m_doc = "C twins of the entropy layer's per-request arithmetic (optional).",
    .m_size = -1,
    .m_methods = module_methods,
};

PyMODINIT_FUNC
PyInit__accel(void)
{
    PyObject *errors = PyImport_ImportModule("alara.errors");
    if (errors == NULL) {
        return NULL;
    }
    health_error = PyObject_GetAttrString(errors, "HealthTestError");
    Py_DECREF(errors);
    if (health_error == NULL) {
        return NULL;
    }
    if (PyType_Ready(&HealthStateType) < 0) {
        return NULL;
    }
    PyObject *module = PyModule_Create(&accel_module);
    if (module == NULL) {
        return NULL;
    }
    Py_INCREF(&HealthStateType);
    if (PyModule_AddObject(module, "HealthTests", (PyObject *)&HealthStateType) < 0) {
        Py_DECREF(&HealthStateType);
        Py_DECREF(module);
        return NULL;
    }
    return module;
}
