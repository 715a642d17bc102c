/* SPDX-License-Identifier: MIT */
#pragma once

/* The tpm2-tss libraries (ESYS, marshalling, TCTI loader, return codes), loaded when
 * `vigie enroll` first attests a TPM-held key (tpm-prover.c) rather than linked: they are
 * five of the agent's shared objects, mapped and relocated at every start, and only that
 * step on a laptop with a TPM-held key uses them (the key itself signs through OpenSSL's
 * tpm2 provider). Members are named as the functions. */

#include <tss2/tss2_esys.h>
#include <tss2/tss2_mu.h>
#include <tss2/tss2_rc.h>
#include <tss2/tss2_tctildr.h>

#define TSS_FN(f) __typeof__(f) *f
typedef struct TssApi {
        TSS_FN(Esys_Initialize);
        TSS_FN(Esys_Finalize);
        TSS_FN(Esys_Free);
        TSS_FN(Esys_FlushContext);
        TSS_FN(Esys_CreatePrimary);
        TSS_FN(Esys_TR_FromTPMPublic);
        TSS_FN(Esys_TR_Close);
        TSS_FN(Esys_NV_ReadPublic);
        TSS_FN(Esys_NV_Read);
        TSS_FN(Esys_Load);
        TSS_FN(Esys_Certify);
        TSS_FN(Esys_StartAuthSession);
        TSS_FN(Esys_PolicySecret);
        TSS_FN(Esys_ActivateCredential);
        TSS_FN(Tss2_MU_TPM2B_PUBLIC_Marshal);
        TSS_FN(Tss2_MU_TPM2B_PUBLIC_Unmarshal);
        TSS_FN(Tss2_MU_TPM2B_PRIVATE_Unmarshal);
        TSS_FN(Tss2_MU_TPMT_SIGNATURE_Marshal);
        TSS_FN(Tss2_MU_TPM2B_ID_OBJECT_Unmarshal);
        TSS_FN(Tss2_MU_TPM2B_ENCRYPTED_SECRET_Unmarshal);
        TSS_FN(Tss2_TctiLdr_Initialize);
        TSS_FN(Tss2_TctiLdr_Finalize);
        TSS_FN(Tss2_RC_Decode);
} TssApi;
#undef TSS_FN

#define TSS_DL_INSTALL                                                                              \
        "install the tpm2-tss libraries (libtss2-esys-3.0.2-0, libtss2-mu0, libtss2-tctildr0 and "  \
        "libtss2-rc0 on Debian 12 and Ubuntu, their t64 versions on Debian 13; tpm2-tss on Fedora " \
        "and RHEL)"

/* The loaded libraries (once per process). Returns 0, or -ELIBACC with *ret_error (when not
 * NULL) saying what could not be loaded and which packages to install. */
int tss_api_load(const TssApi **ret, const char **ret_error);
