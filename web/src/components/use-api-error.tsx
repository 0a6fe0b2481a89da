/**
 * Shows an API failure where the user will see it: on the form field it names, as a version
 * conflict dialog offering to reload, or as a message.
 */
import { App, type FormInstance } from "antd";
import { useCallback } from "react";
import { ApiError, isAbort } from "../api/client.ts";
import { useI18n } from "../i18n/i18n.tsx";
import type { Messages } from "../i18n/zh-CN.ts";

/** `changes.education`, `member.idNumber`, `members[2].idNumber` → `education`, `idNumber`. */
export function formFieldOf(field: string): string {
  const last = field.split(".").pop() ?? field;
  return last.replace(/\[\d+\]$/, "");
}

/** The message for people: the server's own (in Chinese) or ours when it sent none. */
export function errorText(e: unknown, t: Messages): string {
  if (e instanceof ApiError) {
    if (e.kind === "network") return t.common.networkError;
    if (e.message) return e.message;
    if (e.kind === "not_allowed") return t.errors.notAllowed;
    return t.common.serverError(e.status);
  }
  return e instanceof Error ? e.message : String(e);
}

export interface ShowErrorOptions {
  form?: FormInstance;
  /** Called when the user chooses to reload after a version conflict. */
  onReload?: () => void;
  /** The conflict dialog's text when the record is not a household. */
  conflict?: { title: string; content: string };
}

export function useApiError() {
  const { message, modal } = App.useApp();
  const { t } = useI18n();
  return useCallback(
    (e: unknown, { form, onReload, conflict }: ShowErrorOptions = {}) => {
      if (isAbort(e)) return;
      if (e instanceof ApiError && e.isSignedOut) return; // the sign-in page takes over
      if (e instanceof ApiError && e.isVersionConflict) {
        modal.confirm({
          title: conflict?.title ?? t.errors.conflictTitle,
          content: conflict?.content ?? t.errors.conflictContent,
          okText: t.common.reload,
          cancelText: t.common.cancel,
          onOk: onReload,
        });
        return;
      }
      const text = errorText(e, t);
      if (form && e instanceof ApiError && e.field) {
        const name = formFieldOf(e.field);
        if (
          form.getFieldInstance(name) !== undefined ||
          name in (form.getFieldsValue(true) as object)
        ) {
          // The server prefixes the path ("changes.education：…"); on the field itself it is noise.
          const onField = text.replace(/^[\w.[\]]+：/, "");
          form.setFields([{ name, errors: [onField] }]);
          form.scrollToField(name);
          return;
        }
      }
      message.error(text);
    },
    [message, modal, t],
  );
}
