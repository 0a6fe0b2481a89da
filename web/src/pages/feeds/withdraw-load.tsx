/**
 * 撤销导入 — a load uploaded by mistake is withdrawn with a reason: its facts end, the facts it
 * superseded are current again. A withdrawn load shows who withdrew it, when and why.
 */
import { App, Button, Form, Input, Modal, Tag, Tooltip, Typography } from "antd";
import { useState } from "react";
import { useApiError } from "../../components/use-api-error.tsx";
import { chinaDateTime } from "../../format.ts";
import { useFeedsText } from "./feeds.i18n.ts";
import { type FeedLoad, withdrawFeedLoad } from "./feeds-api.ts";

export function WithdrawnTag({ load }: { load: FeedLoad }) {
  const x = useFeedsText();
  if (!load.withdrawn) return null;
  const { by, at, reason } = load.withdrawn;
  return (
    <Tooltip title={x.withdrawnBy(by, chinaDateTime(at), reason)}>
      <Tag color="default" data-testid="feed-load-withdrawn">
        {x.withdrawn}
      </Tag>
    </Tooltip>
  );
}

export function WithdrawLoadButton({ load, onDone }: { load: FeedLoad; onDone: () => void }) {
  const x = useFeedsText();
  const showError = useApiError();
  const { message } = App.useApp();
  const [open, setOpen] = useState(false);
  const [busy, setBusy] = useState(false);
  const [form] = Form.useForm<{ reason: string }>();

  const submit = async () => {
    const { reason } = await form.validateFields();
    setBusy(true);
    try {
      const done = await withdrawFeedLoad(load.id, reason);
      message.success(x.withdrawDone(done.ended, done.restored));
      setOpen(false);
      form.resetFields();
      onDone();
    } catch (e) {
      showError(e);
    } finally {
      setBusy(false);
    }
  };

  return (
    <>
      <Button
        type="link"
        size="small"
        danger
        onClick={() => setOpen(true)}
        data-testid={`feed-withdraw-${load.id}`}
      >
        {x.withdraw}
      </Button>
      <Modal
        open={open}
        title={x.withdrawTitle(load.fileName)}
        okText={x.withdrawOk}
        okButtonProps={{ danger: true, loading: busy }}
        onOk={submit}
        onCancel={() => setOpen(false)}
        destroyOnHidden
      >
        <Typography.Paragraph type="secondary">{x.withdrawIntro}</Typography.Paragraph>
        <Form form={form} layout="vertical" preserve={false}>
          <Form.Item
            name="reason"
            label={x.withdrawReason}
            rules={[{ required: true, whitespace: true, message: x.withdrawReasonRequired }]}
          >
            <Input.TextArea
              rows={2}
              maxLength={200}
              showCount
              placeholder={x.withdrawReasonHint}
              data-testid="feed-withdraw-reason"
            />
          </Form.Item>
        </Form>
      </Modal>
    </>
  );
}
