/* SPDX-License-Identifier: MIT */
#include <stddef.h>

#include "dl-util.h"
#include "macro.h"
#include "tss-dl.h"

#define SYM(f) { #f, offsetof(TssApi, f) }

static TssApi api;
static DlOnce once;

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
        static const DlLibrary libs[] = {
                { "libtss2-esys.so.0", esys, ELEMENTSOF(esys) },
                { "libtss2-mu.so.0", mu, ELEMENTSOF(mu) },
                { "libtss2-tctildr.so.0", tctildr, ELEMENTSOF(tctildr) },
                { "libtss2-rc.so.0", rc, ELEMENTSOF(rc) },
        };

        /* Enrollment runs in one thread. */
        int r = dl_load_once(&once, libs, ELEMENTSOF(libs), &api, TSS_DL_INSTALL, ret_error);
        if (r < 0)
                return r;
        *ret = &api;
        return 0;
}
