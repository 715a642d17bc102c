/* SPDX-License-Identifier: MIT */
#include <stddef.h>

#include "dl-util.h"
#include "macro.h"
#include "tss-dl.h"

#define SYM(f) { #f, offsetof(TssApi, f) }

static TssApi api;
static int api_state; /* 0: not loaded yet, 1: loaded, <0: failed */
static char api_error[512];

int tss_api_load(const TssApi **ret, const char **ret_error) {
        static const DlSymbol esys[] = {
                SYM(Esys_Initialize), SYM(Esys_Finalize), SYM(Esys_Free), SYM(Esys_FlushContext),
                SYM(Esys_CreatePrimary), SYM(Esys_TR_FromTPMPublic), SYM(Esys_TR_Close), SYM(Esys_NV_ReadPublic),
                SYM(Esys_NV_Read), SYM(Esys_Load), SYM(Esys_Certify), SYM(Esys_StartAuthSession),
                SYM(Esys_PolicySecret), SYM(Esys_ActivateCredential),
        };
        static const DlSymbol mu[] = {
                SYM(Tss2_MU_TPM2B_PUBLIC_Marshal), SYM(Tss2_MU_TPM2B_PUBLIC_Unmarshal),
                SYM(Tss2_MU_TPM2B_PRIVATE_Unmarshal), SYM(Tss2_MU_TPMT_SIGNATURE_Marshal),
                SYM(Tss2_MU_TPM2B_ID_OBJECT_Unmarshal), SYM(Tss2_MU_TPM2B_ENCRYPTED_SECRET_Unmarshal),
        };
        static const DlSymbol tctildr[] = { SYM(Tss2_TctiLdr_Initialize), SYM(Tss2_TctiLdr_Finalize) };
        static const DlSymbol rc[] = { SYM(Tss2_RC_Decode) };
        static const struct {
                const char *soname;
                const DlSymbol *table;
                size_t n;
        } libs[] = {
                { "libtss2-esys.so.0", esys, ELEMENTSOF(esys) },
                { "libtss2-mu.so.0", mu, ELEMENTSOF(mu) },
                { "libtss2-tctildr.so.0", tctildr, ELEMENTSOF(tctildr) },
                { "libtss2-rc.so.0", rc, ELEMENTSOF(rc) },
        };

        /* Enrollment runs in one thread: no once-guard needed. */
        for (size_t i = 0; api_state == 0 && i < ELEMENTSOF(libs); i++) {
                int r = dl_load(libs[i].soname, libs[i].table, libs[i].n, &api, TSS_DL_INSTALL, api_error,
                                sizeof(api_error));
                if (r < 0)
                        api_state = r;
        }
        if (api_state == 0)
                api_state = 1;
        if (api_state < 0) {
                if (ret_error)
                        *ret_error = api_error;
                return api_state;
        }
        *ret = &api;
        return 0;
}
