/* alara.entropy._cpurng: the CPU's own random number generator, for ``CpuSource``.
 *
 * x86-64: RDSEED (CPUID leaf 7, EBX bit 18), the instruction Intel and AMD specify for seeding:
 * every value comes from the conditioned hardware noise source, not from the DRBG behind
 * RDRAND. arm64: RNDRRS (HWCAP2_RNG), the variant that reseeds before each value. Anything
 * else: no instruction, and ``reason()`` says why.
 *
 * Retries: either instruction may report "no value now" (RDSEED: CF = 0 when the conditioner
 * cannot keep up; RNDRRS: Z = 1). Intel's guidance for RDSEED is to retry after a PAUSE, since
 * the shortfall is transient; a value that does not come after ``retries`` attempts in a row is
 * reported as a failure rather than waited for without bound, so a generator that has stopped
 * cannot stall its caller. No value is ever returned in a message.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <cpuid.h>
#define CPURNG_X86 1
#elif defined(__aarch64__) && defined(__linux__) && (defined(__GNUC__) || defined(__clang__))
#include <sys/auxv.h>
#define CPURNG_ARM 1
#ifndef HWCAP2_RNG
#define HWCAP2_RNG (1 << 16)
#endif
#endif

#define RELEASE_GIL_ABOVE 4096 /* bytes: larger reads let other threads run meanwhile */

static const char *instruction = "";
static const char *unavailable = "this CPU architecture has no supported random instruction "
                                 "(RDSEED on x86-64, RNDRRS on arm64)";

/* One attempt: 1 with ``*value`` set, or 0 (no value now, or no instruction on this CPU). */
static int
step(uint64_t *value)
{
#if defined(CPURNG_X86)
    unsigned char ok;
    __asm__ volatile("rdseed %0; setc %1" : "=r"(*value), "=qm"(ok) : : "cc");
    return ok;
#elif defined(CPURNG_ARM)
    int ok;
    __asm__ volatile("mrs %0, s3_3_c2_c4_1\n\tcset %w1, ne" : "=r"(*value), "=r"(ok) : : "cc");
    return ok;
#else
    *value = 0;
    return 0;
#endif
}

/* The wait before another attempt: PAUSE on x86-64 (Intel's guidance), YIELD on arm64. */
static void
relax(void)
{
#if defined(CPURNG_X86)
    __asm__ volatile("pause");
#elif defined(CPURNG_ARM)
    __asm__ volatile("yield");
#endif
}

/* At import: ``instruction`` is set if the CPU reports one, else ``unavailable`` says why. */
static void
detect(void)
{
#if defined(CPURNG_X86)
    unsigned int eax, ebx, ecx, edx;
    if (__get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx) && (ebx & (1u << 18))) {
        instruction = "rdseed";
        unavailable = "";
    }
    else {
        unavailable = "this x86-64 CPU does not report RDSEED (CPUID leaf 7, EBX bit 18)";
    }
#elif defined(CPURNG_ARM)
    if (getauxval(AT_HWCAP2) & HWCAP2_RNG) {
        instruction = "rndrrs";
        unavailable = "";
    }
    else {
        unavailable = "this arm64 CPU does not report FEAT_RNG (HWCAP2_RNG)";
    }
#endif
}

/* Fill ``out`` with ``n`` bytes; 0 on success, -1 when a value did not come in ``retries``. */
static int
fill(unsigned char *out, Py_ssize_t n, long retries)
{
    Py_ssize_t done = 0;
    while (done < n) {
        uint64_t value = 0;
        long tries = 0;
        while (!step(&value)) {
            if (++tries >= retries) {
                return -1;
            }
            relax();
        }
        Py_ssize_t take = n - done < 8 ? n - done : 8;
        memcpy(out + done, &value, (size_t)take);
        value = 0;
        done += take;
    }
    return 0;
}

static PyObject *
cpurng_read(PyObject *module, PyObject *args)
{
    Py_ssize_t n;
    long retries;
    if (!PyArg_ParseTuple(args, "nl:read", &n, &retries)) {
        return NULL;
    }
    if (n < 0 || retries < 1) {
        PyErr_SetString(PyExc_ValueError, "n must be >= 0 and retries >= 1");
        return NULL;
    }
    if (instruction[0] == '\0') {
        PyErr_SetString(PyExc_RuntimeError, unavailable);
        return NULL;
    }
    PyObject *result = PyBytes_FromStringAndSize(NULL, n);
    if (result == NULL) {
        return NULL;
    }
    unsigned char *out = (unsigned char *)PyBytes_AS_STRING(result);
    int failed;
    if (n > RELEASE_GIL_ABOVE) {
        Py_BEGIN_ALLOW_THREADS
        failed = fill(out, n, retries);
        Py_END_ALLOW_THREADS
    }
    else {
        failed = fill(out, n, retries);
    }
    if (failed) {
        memset(out, 0, (size_t)n);
        Py_DECREF(result);
        PyErr_Format(PyExc_RuntimeError,
                     "%s gave no value after %ld attempts in a row", instruction, retries);
        return NULL;
    }
    return result;
}

static PyObject *
cpurng_instruction(PyObject *module, PyObject *unused)
{
    return PyUnicode_FromString(instruction);
}

static PyObject *
cpurng_reason(PyObject *module, PyObject *unused)
{
    return PyUnicode_FromString(unavailable);
}

static PyMethodDef cpurng_methods[] = {
    {"read", cpurng_read, METH_VARARGS,
     "read(n, retries) -> n bytes from the CPU's generator; RuntimeError if it gives none."},
    {"instruction", cpurng_instruction, METH_NOARGS,
     "instruction() -> the instruction in use ('rdseed', 'rndrrs'), or '' if none."},
    {"reason", cpurng_reason, METH_NOARGS,
     "reason() -> why no instruction is available, or '' if one is."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef cpurng_module = {
    PyModuleDef_HEAD_INIT,
    "alara.entropy._cpurng",
    "The CPU's random instruction (RDSEED, RNDRRS), for alara.entropy's CpuSource.",
    -1,
    cpurng_methods,
};

PyMODINIT_FUNC
PyInit__cpurng(void)
{
    detect();
    return PyModule_Create(&cpurng_module);
}
