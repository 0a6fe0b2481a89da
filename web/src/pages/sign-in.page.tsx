/** 用户登录 — the sign-in page. */
import { LockOutlined, SafetyCertificateOutlined, UserOutlined } from "@ant-design/icons";
import { Alert, Button, Card, Form, Input, Typography } from "antd";
import { useState } from "react";
import { Navigate, useNavigate, useSearchParams } from "react-router-dom";
import { LanguageSwitch } from "../components/language-switch.tsx";
import { errorText } from "../components/use-api-error.tsx";
import { useI18n } from "../i18n/i18n.tsx";
import { homeOf, useSession } from "../session/session.tsx";

interface SignInForm {
  username: string;
  password: string;
}

export function SignInPage() {
  const { t } = useI18n();
  const { user, signIn } = useSession();
  const navigate = useNavigate();
  const [params] = useSearchParams();
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const next = params.get("next");

  if (user) return <Navigate to={next ?? homeOf(user)} replace />;

  const submit = async (v: SignInForm) => {
    setBusy(true);
    setError(null);
    try {
      const signedIn = await signIn(v.username.trim(), v.password);
      navigate(next ?? homeOf(signedIn), { replace: true });
    } catch (e) {
      setError(errorText(e, t));
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="sign-in">
      <div className="sign-in__lang">
        <LanguageSwitch />
      </div>
      <div className="sign-in__brand">
        <SafetyCertificateOutlined className="sign-in__logo" />
        <Typography.Title level={2} className="sign-in__product">
          {t.product}
        </Typography.Title>
        <Typography.Text className="sign-in__subtitle">{t.signIn.subtitle}</Typography.Text>
      </div>
      <Card className="sign-in__card" title={t.signIn.title}>
        {error && (
          <Alert
            type="error"
            showIcon
            title={error}
            style={{ marginBottom: 16 }}
            data-testid="sign-in-error"
          />
        )}
        <Form<SignInForm> layout="vertical" onFinish={submit} requiredMark={false} size="large">
          <Form.Item
            name="username"
            label={t.signIn.username}
            rules={[{ required: true, message: t.signIn.usernameRequired }]}
          >
            <Input prefix={<UserOutlined />} autoComplete="username" autoFocus />
          </Form.Item>
          <Form.Item
            name="password"
            label={t.signIn.password}
            rules={[{ required: true, message: t.signIn.passwordRequired }]}
          >
            <Input.Password prefix={<LockOutlined />} autoComplete="current-password" />
          </Form.Item>
          <Button type="primary" htmlType="submit" block loading={busy}>
            {t.signIn.submit}
          </Button>
        </Form>
        <Typography.Paragraph type="secondary" className="sign-in__footer">
          {t.signIn.footer}
        </Typography.Paragraph>
      </Card>
    </div>
  );
}
