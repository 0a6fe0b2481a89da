/** 变更户主 — another member becomes the head; the former head takes a new relationship. */
import { App, Form, Modal, Select, Typography } from "antd";
import { useLayoutEffect, useState } from "react";
import { HEAD_RELATIONSHIP, RELATIONSHIPS } from "../../../src/core/vocab.ts";
import type { HouseholdDetail, MemberView } from "../api/types.ts";
import { useApiError } from "../components/use-api-error.tsx";
import { useI18n } from "../i18n/i18n.tsx";
import { householdApi, reasonOf } from "./household-api.ts";
import { ReasonInput } from "./reason-input.tsx";

interface ChangeHeadProps {
  member: MemberView | undefined;
  detail: HouseholdDetail;
  onClose(): void;
  onSaved(detail: HouseholdDetail): void;
  onReload(): void;
}

export function ChangeHead({ member, detail, onClose, onSaved, onReload }: ChangeHeadProps) {
  const { t } = useI18n();
  const { message } = App.useApp();
  const showError = useApiError();
  const [form] = Form.useForm<{ formerHeadRelationship: string }>();
  const [reason, setReason] = useState("");
  const [saving, setSaving] = useState(false);
  const head = detail.members.find(
    (m) => m.status === "active" && m.relationship === HEAD_RELATIONSHIP,
  );

  useLayoutEffect(() => {
    if (!member) return;
    form.resetFields();
    setReason("");
  }, [member, form]);

  const save = async () => {
    if (!member) return;
    let v: { formerHeadRelationship?: string };
    try {
      v = await form.validateFields();
    } catch {
      return;
    }
    setSaving(true);
    try {
      const next = await householdApi.changeHead(detail.household.householdNumber, {
        version: detail.household.version,
        memberId: member.id,
        // Without a current head the relationship is not used, but the API asks for one.
        formerHeadRelationship: v.formerHeadRelationship ?? "其他",
        reason: reasonOf(reason),
      });
      message.success(t.common.saved);
      onSaved(next);
    } catch (e) {
      showError(e, { form, onReload });
    } finally {
      setSaving(false);
    }
  };

  return (
    <Modal
      title={t.members.makeHeadTitle(member?.name ?? "")}
      open={member !== undefined}
      onCancel={onClose}
      onOk={save}
      okButtonProps={{ loading: saving }}
      okText={t.common.confirm}
      cancelText={t.common.cancel}
      destroyOnHidden
    >
      <Form form={form} layout="vertical">
        {head && (
          <>
            <Typography.Paragraph>
              {t.members.makeHeadHint(head.name ?? "", member?.name ?? "")}
            </Typography.Paragraph>
            <Form.Item
              name="formerHeadRelationship"
              label={t.members.formerHeadRelationship}
              rules={[{ required: true, message: t.members.formerHeadRequired }]}
            >
              <Select
                showSearch
                placeholder={t.form.selectPlaceholder}
                options={RELATIONSHIPS.filter((r) => r !== HEAD_RELATIONSHIP).map((r) => ({
                  value: r,
                  label: r,
                }))}
              />
            </Form.Item>
          </>
        )}
      </Form>
      <ReasonInput value={reason} onChange={setReason} />
    </Modal>
  );
}
